"""A model file's graph in Netron, from a notebook: one server, shown inline and linked (lesson 15).

`netron.start(path)` alone prints its banner through the root logger (configuring logging for the
whole process; the banner shows in red in JupyterLab), opens a browser on the machine the kernel
runs on (not always the student's), and a second run starts a second server on the next port.
"""
import logging
import pathlib
import time

from .session import interactive

_address = None  # the server this kernel started: a re-run replaces it rather than adding one


def show_in_netron(path, height=600):
    """Serve the model file `path` with Netron on localhost and show it inline, with a link that
    opens it in a new tab. A second call stops the first server. Headless (tests, CI) nothing is
    started and the cell says so. Returns the URL, or None when headless."""
    global _address
    name = pathlib.Path(path).name
    if not interactive():
        print(f"Headless run: Netron's server is not started. Interactively, this cell shows {name} "
              f"in Netron, inline and in a new tab.")
        return None
    import netron
    from IPython.display import HTML, IFrame, display
    if _address is not None:
        netron.stop(_address)
        deadline = time.monotonic() + 10
        while netron.status(_address) and time.monotonic() < deadline:  # stop() only asks the thread to end
            time.sleep(0.05)
    root = logging.getLogger()
    quiet = logging.NullHandler()
    root.addHandler(quiet)  # netron configures logging itself when the root logger has no handler
    try:
        _address = netron.start(str(path), browse=False)
    finally:
        root.removeHandler(quiet)
    url = f"http://{_address[0]}:{_address[1]}"
    display(HTML(f'<a href="{url}" target="_blank">Open {name} in Netron in a new tab</a> '
                 f'(served by this kernel at {url}; it stops with the kernel)'),
            IFrame(url, width="100%", height=height))
    return url
