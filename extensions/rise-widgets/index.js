// Three plugins and a style sheet for the course's notebooks and slideshows (RISE), loaded by JupyterLab and
// by RISE's own app.
//
// 1. The ipywidgets manager (@jupyter-widgets/jupyterlab-manager) imports @jupyterlab/console. RISE's
// slideshow is its own JupyterLab app, built with @jupyterlab/* 4.3.4 but without the console, so
// the manager fails to load there ("Shared module @jupyterlab/console doesn't exist in shared scope
// default", jupyterlab-contrib/rise#119) and every widget shows as text. This extension bundles
// @jupyterlab/console 4.3.4 (the version of RISE's other packages) and so offers it to the shared
// scope. In JupyterLab itself the core's newer console wins (webpack picks the highest version of a
// singleton), so the lab is unchanged.
//
// 2. A notebook whose kernel was shut down under it (the server's culler, or the notebook's tab closed
// in JupyterLab while its slideshow is still open) gets a new kernel at the next run, silently: every
// variable is gone and the presenter's next cell fails with a NameError, or worse, runs on nothing.
// This plugin says so in a dialog as soon as the new kernel starts. And a cell run before JupyterLab has
// noticed (it asks the server every few seconds) was sent to the gone kernel and never ran: at every run
// the plugin asks the server at once, and says so.
//
// 3. reveal.js scales the 1280x720 slide (notebooks/rise.css) to its wrapper, RISE's notebook panel, when
// the window is resized; but JupyterLab resizes that panel a frame later, so reveal.js scaled to the old
// size (a slideshow put full screen on a projector stayed at the laptop's size). A second resize event,
// once JupyterLab has laid out, lets reveal.js measure again.
//
// 4. style/index.css (package.json's "style", loaded by JupyterLab and by RISE's app): a printed line
// wider than the output area is broken between words, not at any character (JupyterLab's
// word-break: break-all cut the lessons' printed sentences mid-word).
//
// Rebuild (needs the npm registry; the build itself is offline): npm ci && jupyter-builder build .
// (jupyter-builder is in the course's venv); the result, labextension/, is committed.
import { IConsoleTracker } from '@jupyterlab/console';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { Dialog, showDialog } from '@jupyterlab/apputils';

const consoleForRise = {
  id: '@d2lcore/rise-widgets:plugin',
  description: 'Provides @jupyterlab/console to the RISE slideshow, so that widgets render there.',
  autoStart: true,
  optional: [IConsoleTracker], // the import above is what puts the console in the bundle
  activate: () => {}
};

export const LOST_TITLE = 'The kernel was restarted: everything it held is lost';
export const GONE_TITLE = 'The kernel was shut down: everything it held is lost';
const watching = new Map(); // notebook widget -> what to check when one of its cells is run

function watch(panel) {
  const context = panel.sessionContext;
  let lost = false; // the session went away under the notebook (not by a restart or a change of kernel)
  let kernel = null; // the id of the kernel the notebook had
  const remember = () => {
    const id = context.session && context.session.kernel ? context.session.kernel.id : null;
    if (id && kernel && id !== kernel && lost) {
      lost = false;
      void showDialog({
        title: LOST_TITLE,
        body:
          'The notebook\'s kernel was shut down (its tab was closed elsewhere, or the server stopped it ' +
          'after a long idle time), and running a cell started a new, empty one: the variables, imports ' +
          'and trained models of the cells run before are gone. Run the cells again from the set-up cell ' +
          'on the title slide (in JupyterLab: Run > Run All Cells).',
        buttons: [Dialog.okButton({ label: 'OK' })]
      });
    }
    if (id) {
      kernel = id;
    }
  };
  context.sessionChanged.connect((_, change) => {
    if (change.oldValue && !change.newValue && !context.isTerminating && !panel.isDisposed) {
      lost = true;
    }
    remember();
  });
  context.kernelChanged.connect(remember);
  // a cell is being run: is the kernel still there? (else the cell went to a kernel that is gone)
  watching.set(panel.content, async () => {
    const session = context.session;
    if (!session || session.isDisposed) {
      return; // no kernel yet: JupyterLab starts one, and remember() speaks if one was lost
    }
    await context.sessionManager.refreshRunning().catch(() => undefined);
    if (session.isDisposed && !panel.isDisposed) {
      lost = false; // told here: the kernel the next run starts needs no second dialog
      kernel = null;
      void showDialog({
        title: GONE_TITLE,
        body:
          'The notebook\'s kernel was shut down (its tab was closed elsewhere, or the server stopped it ' +
          'after a long idle time), and with it every variable, import and trained model: this cell did ' +
          'not run. Run it again to start a new, empty kernel, then run the cells from the set-up cell on ' +
          'the title slide (in JupyterLab: Run > Run All Cells).',
        buttons: [Dialog.okButton({ label: 'OK' })]
      });
    }
  });
  panel.disposed.connect(() => watching.delete(panel.content));
  context.statusChanged.connect((_, status) => {
    if (status === 'dead') {
      lost = true;
    }
  });
  // the kernel's websocket closed: ask the server at once whether the session is still there (else
  // JupyterLab learns it only at its next poll, and a cell run before then is sent nowhere)
  context.connectionStatusChanged.connect((_, status) => {
    if (status === 'connecting' && !context.isTerminating && !context.isRestarting) {
      void context.sessionManager.refreshRunning().catch(() => undefined);
    }
  });
  remember();
}

const kernelLost = {
  id: '@d2lcore/rise-widgets:kernel-lost',
  description: 'Tells the presenter when a notebook lost its kernel and a new, empty one was started.',
  autoStart: true,
  optional: [INotebookTracker],
  activate: (app, tracker) => {
    if (!tracker) {
      return;
    }
    tracker.forEach(watch);
    NotebookActions.executionScheduled.connect((_, { notebook }) => {
      const check = watching.get(notebook);
      if (check) {
        void check();
      }
    });
    tracker.widgetAdded.connect((_, panel) => watch(panel));
  }
};

const relayout = {
  id: '@d2lcore/rise-widgets:relayout',
  description: 'Lets reveal.js scale the slides again whenever JupyterLab has resized the slideshow.',
  autoStart: true,
  activate: () => {
    if (!/\/rise\//.test(window.location.pathname)) {
      return; // JupyterLab itself: its RISE preview is a page of its own, in a frame
    }
    const resized = new ResizeObserver(() => window.dispatchEvent(new Event('resize')));
    const find = () => {
      const panel = document.querySelector('.lm-Widget.reveal');
      if (panel) {
        resized.observe(panel);
      } else {
        setTimeout(find, 200); // the slideshow starts once the notebook is loaded
      }
    };
    find();
  }
};

export default [consoleForRise, kernelLost, relayout];
