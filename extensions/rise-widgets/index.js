// The ipywidgets manager (@jupyter-widgets/jupyterlab-manager) imports @jupyterlab/console. RISE's
// slideshow is its own JupyterLab app, built with @jupyterlab/* 4.3.4 but without the console, so
// the manager fails to load there ("Shared module @jupyterlab/console doesn't exist in shared scope
// default", jupyterlab-contrib/rise#119) and every widget shows as text. This extension bundles
// @jupyterlab/console 4.3.4 (the version of RISE's other packages) and so offers it to the shared
// scope. In JupyterLab itself the core's newer console wins (webpack picks the highest version of a
// singleton), so the lab is unchanged. Rebuild: npm ci && jupyter-builder build .
import { IConsoleTracker } from '@jupyterlab/console';

export default {
  id: '@d2lcore/rise-widgets:plugin',
  description: 'Provides @jupyterlab/console to the RISE slideshow, so that widgets render there.',
  autoStart: true,
  optional: [IConsoleTracker], // the import above is what puts the console in the bundle
  activate: () => {}
};
