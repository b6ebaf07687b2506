"""The `./course` command.

End to end: `./course lab` serves the course in JupyterLab (the README's first command with a
fixed port and token: the server answers and lists every lesson). That needs the course's own
environment (the one `./course test` runs in), since `./course lab` starts JupyterLab from it.

In sandboxes: how `./course` sets up its environment, and what it refuses. Every run there has
D2L_VENV in a temporary folder, PYTHON pointing at a stand-in whose `-m venv` makes an environment
whose python only logs its arguments, and an apt-get first on PATH that only logs: nothing is
installed, and the course's real environment is never touched.
"""
import hashlib
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.status, r.read().decode()


@pytest.mark.skipif(os.environ.get("D2L_VENV") is None
                    or pathlib.Path(os.environ["D2L_VENV"]).resolve() != pathlib.Path(sys.prefix).resolve(),
                    reason="run through ./course test, whose environment ./course lab uses")
def test_course_lab_serves_the_notebooks():
    port, token = _free_port(), "d2lcore-test-token"
    # as a student starts it: no thread setting of ./course test's own
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    proc = subprocess.Popen(
        [str(ROOT / "course"), "lab", "--no-browser", "--ip=127.0.0.1", f"--ServerApp.port={port}",
         f"--IdentityProvider.token={token}", "--ServerApp.port_retries=0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, text=True, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                status, body = _get(f"{base}/api/contents?token={token}")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("JupyterLab did not answer:\n" + (proc.stdout.read() if proc.poll() is not None else ""))
                time.sleep(0.5)
        assert status == 200
        served = {item["name"] for item in json.loads(body)["content"]}
        lessons = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
        assert lessons and lessons <= served
        status, page = _get(f"{base}/lab?token={token}")
        assert status == 200 and "JupyterLab" in page
        # the server's environment, which every kernel it starts inherits: one PyTorch thread each
        server_env = dict(kv.split("=", 1) for kv in
                          pathlib.Path(f"/proc/{proc.pid}/environ").read_text().split("\0") if "=" in kv)
        assert server_env.get("OMP_NUM_THREADS") == "1" and server_env.get("MKL_NUM_THREADS") == "1"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.skipif(os.environ.get("D2L_VENV") is None, reason="run through ./course test, whose environment it reuses")
def test_course_test_names_the_notebooks_that_differ_from_git(tmp_path):
    # what a student has after running a lesson in JupyterLab: its file saved with new outputs
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    lesson = sorted((clone / "notebooks").glob("*.ipynb"))[1]
    copy = clone / "notebooks" / "my copy.ipynb"  # a student's committed copy, a space in its name
    shutil.copy(lesson, copy)
    subprocess.run(["git", "-C", str(clone), "add", "--", str(copy)], check=True)
    subprocess.run(["git", "-C", str(clone), "-c", "user.name=s", "-c", "user.email=s@example.org", "commit", "-qm",
                    "a copy"], check=True)
    nb = json.loads(lesson.read_text())
    next(c for c in nb["cells"] if c["cell_type"] == "code")["execution_count"] = 99
    for path in (lesson, copy):
        path.write_text(json.dumps(nb, indent=1))
    # from the clone's root: ./course takes paths relative to where it is called from
    run = subprocess.run([str(clone / "course"), "test", "--collect-only", "-q", "tests/test_timer.py"],
                         cwd=clone, capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, D2L_VENV=os.environ["D2L_VENV"]))
    assert run.returncode == 0, run.stderr[-2000:]
    assert "these notebooks differ from the committed ones" in run.stderr
    assert f"notebooks/{lesson.name}" in run.stderr and "git stash" in run.stderr
    assert "    notebooks/my copy.ipynb\n" in run.stderr  # one name, one line
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", "--", "notebooks"], check=True)
    again = subprocess.run([str(clone / "course"), "test", "--collect-only", "-q", "tests/test_timer.py"],
                           cwd=clone, capture_output=True, text=True, timeout=300,
                           env=dict(os.environ, D2L_VENV=os.environ["D2L_VENV"]))
    assert "differ from the committed" not in again.stderr


# --- sandboxes -------------------------------------------------------------------------------

# what ./course writes into its stamp after an install: the environment then counts as up to date
UP_TO_DATE = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + (ROOT / "constraints.txt").read_bytes()).hexdigest()
DEBIAN_NO_ENSUREPIP = """\
The virtual environment was not created successfully because ensurepip is not
available.  On Debian/Ubuntu systems, you need to install the python3-venv
package using the following command.

    apt install python3.11-venv

You may need to use sudo with that command.  After installing the python3-venv
package, recreate your virtual environment.

Failing command: {}/bin/python3.11
"""  # Debian 12's python3.11 -m venv, on stdout, when python3.11-venv is not installed


def _script(path, body):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def _files(folder):
    """Every path under folder, relative, with each file's text: what a user had there."""
    return {str(p.relative_to(folder)): (p.read_text() if p.is_file() and not p.is_symlink() else None)
            for p in sorted(folder.rglob("*"))}


def _logging_python(path):
    """An environment's python that runs: it appends its arguments to python.log beside bin/."""
    return _script(path, 'echo "$*" >> "$(dirname "$0")/../python.log"\n')


def _venv(folder, stamp=UP_TO_DATE):
    """A virtual environment whose python runs; with the stamp of an install up to date."""
    (folder / "bin").mkdir(parents=True)
    (folder / "pyvenv.cfg").write_text("home = /usr/bin\n")
    _logging_python(folder / "bin" / "python")
    if stamp:
        (folder / ".d2lcore-installed").write_text(stamp + "\n")
    return folder


class Sandbox:
    def __init__(self, root):
        self.root = root
        root.mkdir(parents=True)
        root.chmod(0o777)  # runs as the user nobody append to its logs too
        self.apt_log = root / "apt-get.log"
        self.base_log = root / "base-python.log"
        _script(root / "bin" / "apt-get", f'echo "$*" >> {self.apt_log}\n')
        # the Python ./course makes environments with: a 3.11 (its -c version check succeeds)
        # that any user may run, whose -m venv makes an environment with a logging python
        _logging_python(root / "template" / "bin" / "python")
        self.python = _script(root / "base" / "python3", f"""echo "$*" >> {self.base_log}
if [ "$1" = --version ]; then echo "Python 3.11.99 (a stand-in)"; fi
if [ "$1" = -m ] && [ "$2" = venv ]; then
    mkdir -p "$3/bin" && echo "home = {root}/base" > "$3/pyvenv.cfg" && cp {root}/template/bin/python "$3/bin/python"
fi
""")

    def run(self, *args, venv, cwd=ROOT, course=ROOT / "course", python=None, user=None):
        with self.start(*args, venv=venv, cwd=cwd, course=course, python=python, user=user) as proc:
            stdout, stderr = proc.communicate(timeout=120)
        return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)

    def start(self, *args, venv, cwd=ROOT, course=ROOT / "course", python=None, user=None):
        env = {"D2L_VENV": str(venv), "PYTHON": str(python or self.python),
               "PATH": f"{self.root / 'bin'}:{os.environ['PATH']}"}
        command = [str(course), *args]
        if user:  # runuser keeps little of the environment: pass ours on explicitly
            command = ["runuser", "-u", user, "--", "env", *(f"{k}={v}" for k, v in env.items()), *command]
        return subprocess.Popen(command, cwd=cwd, env={**os.environ, **env}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def made_a_venv(self):
        return self.base_log.exists() and "-m venv" in self.base_log.read_text()


@pytest.fixture
def sandbox(tmp_path):
    return Sandbox(tmp_path / "sandbox")


def _nobody_can_run_the_course():
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        return False
    return subprocess.run(["runuser", "-u", "nobody", "--", "test", "-x", str(ROOT / "course")]).returncode == 0


as_nobody = pytest.mark.skipif(not _nobody_can_run_the_course(),
                               reason="needs root and runuser, and a checkout the user nobody can run")


@pytest.fixture
def shared_tmp():
    """A folder owned by root that the user nobody can read but not write (pytest's tmp_path
    is private to root)."""
    folder = pathlib.Path(tempfile.mkdtemp(prefix="d2l-shared-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


# --- D2L_VENV: delete only the course's own environment ---------------------------------------

@pytest.mark.parametrize("via_link", [False, True])
def test_setup_refuses_a_folder_that_is_not_a_venv_and_keeps_every_file(sandbox, tmp_path, via_link):
    folder = tmp_path / "p"
    (folder / "notes").mkdir(parents=True)
    (folder / "notes" / "t").write_text("x\n")
    before = _files(folder)
    venv = folder
    if via_link:
        venv = tmp_path / "link"
        venv.symlink_to(folder)
    run = sandbox.run("setup", venv=venv)
    assert run.returncode == 1
    assert f"D2L_VENV={venv}" in run.stderr
    assert "exists and is not a virtual environment (no pyvenv.cfg): it holds notes" in run.stderr
    assert "remove it yourself" in run.stderr
    assert _files(folder) == before
    assert venv.is_symlink() == via_link
    # refused before anything was made or installed
    assert not sandbox.made_a_venv() and not sandbox.apt_log.exists()


def test_setup_refuses_a_venv_it_did_not_make_whose_interpreter_fails(sandbox, tmp_path):
    venv = tmp_path / "their-venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /opt/python3.11/bin\n")
    (venv / "bin" / "python").symlink_to("/opt/python3.11/bin/python3.11")  # that Python was removed
    (venv / "lib" / "mine.py").parent.mkdir()
    (venv / "lib" / "mine.py").write_text("work = 1\n")
    before = _files(venv)
    run = sandbox.run("setup", venv=venv)
    assert run.returncode == 1
    assert "a virtual environment that ./course did not set up" in run.stderr
    assert f"cannot run its interpreter {venv}/bin/python" in run.stderr
    assert "No such file or directory (it is a link to /opt/python3.11/bin/python3.11)" in run.stderr
    assert _files(venv) == before and not sandbox.made_a_venv()


def test_setup_installs_nothing_into_a_python_that_is_not_a_venv(sandbox, tmp_path):
    # #28: D2L_VENV=/usr (with python-is-python3) or a conda environment: its python runs, so the
    # course wrote its stamp there and ran pip install --upgrade pip and its packages into it
    prefix = tmp_path / "usr"
    _logging_python(prefix / "bin" / "python")
    (prefix / "lib" / "python3.11" / "os.py").parent.mkdir(parents=True)
    (prefix / "lib" / "python3.11" / "os.py").write_text("# the system's\n")
    before = _files(prefix)
    run = sandbox.run("setup", venv=prefix)
    assert run.returncode == 1
    assert f"D2L_VENV={prefix} is not a virtual environment (no pyvenv.cfg), though {prefix}/bin/python runs" \
        in run.stderr
    assert "Nothing was changed" in run.stderr
    assert "pip" not in (prefix / "python.log").read_text()  # it was only asked whether it runs
    assert {k: v for k, v in _files(prefix).items() if k != "python.log"} == before


def test_a_second_setup_waits_for_the_first_instead_of_installing_at_once(sandbox, tmp_path):
    # #28: a second ./course started while the first installed (minutes, the first time) ran pip in the
    # same environment at the same moment
    venv = _venv(tmp_path / "venv", stamp="incomplete")  # python -m venv done, the install under way
    _script(venv / "bin" / "python", f"""log={venv}/python.log
echo "$* start" >> "$log"
case "$*" in *"pip install --quiet -c"*) sleep 2 ;; esac
echo "$* end" >> "$log"
""")
    first = sandbox.start("setup", venv=venv)
    deadline = time.monotonic() + 60
    while "-e .[lab,onnx,test,teach,site] start" not in ((venv / "python.log").read_text() if (venv / "python.log").exists() else ""):
        assert first.poll() is None and time.monotonic() < deadline, first.stderr.read()
        time.sleep(0.05)
    second = sandbox.run("setup", venv=venv)
    first.communicate(timeout=60)
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    assert "another ./course is setting up" in second.stderr and "installing" not in second.stderr
    log = (venv / "python.log").read_text().splitlines()
    installs = [line for line in log if "-e .[lab,onnx,test,teach,site]" in line]
    assert installs == ["-m pip install --quiet -c constraints.txt -e .[lab,onnx,test,teach,site] start",
                        "-m pip install --quiet -c constraints.txt -e .[lab,onnx,test,teach,site] end"]


def test_setup_reuses_a_venv_whose_install_was_cut_short(sandbox, tmp_path):
    # python -m venv finished, the pip install was killed before the stamp was written
    venv = _venv(tmp_path / "venv", stamp=None)
    (venv / "lib").mkdir()
    (venv / "lib" / "half-installed.txt").write_text("torch\n")
    run = sandbox.run("setup", venv=venv)
    assert run.returncode == 0, run.stderr
    assert "ready" in run.stderr and "creating" not in run.stderr
    assert (venv / "lib" / "half-installed.txt").read_text() == "torch\n"
    assert "-m pip install --quiet -c constraints.txt -e .[lab,onnx,test,teach,site]" in (venv / "python.log").read_text()
    assert not sandbox.made_a_venv()


@pytest.mark.parametrize("via_link", [False, True])
def test_setup_recreates_its_own_venv_whose_interpreter_broke(sandbox, tmp_path, via_link):
    # the course made it (pyvenv.cfg and its stamp); then its base Python was removed
    folder = tmp_path / "venv"
    (folder / "bin").mkdir(parents=True)
    (folder / "pyvenv.cfg").write_text("home = /opt/python3.11/bin\n")
    (folder / "bin" / "python").symlink_to("/opt/python3.11/bin/python3.11")
    (folder / ".d2lcore-installed").write_text(UP_TO_DATE + "\n")
    venv = folder
    if via_link:  # an environment kept on another disk: the link stays, the folder is remade
        venv = tmp_path / "link"
        venv.symlink_to(folder)
    run = sandbox.run("setup", venv=venv)
    assert run.returncode == 0, run.stderr
    assert "cannot run the interpreter" in run.stderr and "recreating the environment" in run.stderr
    assert f"-m venv {folder}" in sandbox.base_log.read_text()
    assert venv.is_symlink() == via_link
    assert "-m pip install" in (folder / "python.log").read_text()  # the new environment's python
    assert (folder / ".d2lcore-installed").read_text().strip() == UP_TO_DATE


@as_nobody
def test_setup_as_another_user_stops_at_a_shared_venv_it_cannot_run(shared_tmp):
    sandbox = Sandbox(shared_tmp / "sandbox")
    venv = _venv(shared_tmp / "venv")  # set up by root, with the course's stamp
    (venv / "bin" / "python").chmod(0o700)  # ... whose interpreter only root may run
    for i in range(50):
        (venv / "lib" / f"pkg{i}").mkdir(parents=True)
        (venv / "lib" / f"pkg{i}" / "__init__.py").write_text("")
    before = _files(venv)
    run = sandbox.run("setup", venv=venv, user="nobody")
    assert run.returncode == 1
    assert f"cannot run its interpreter {venv}/bin/python" in run.stderr and "Permission denied" in run.stderr
    assert "You may not write to it" in run.stderr
    assert "rm: cannot remove" not in run.stderr and len(run.stderr.splitlines()) == 1
    assert _files(venv) == before


@as_nobody
def test_setup_as_another_user_says_when_a_shared_venv_it_cannot_write_needs_installing(shared_tmp):
    sandbox = Sandbox(shared_tmp / "sandbox")
    venv = _venv(shared_tmp / "venv", stamp="an older install")  # root's, runs for anyone
    (venv / "python.log").touch()
    (venv / "python.log").chmod(0o666)  # its python, run by nobody, logs there
    before = _files(venv)
    run = sandbox.run("setup", venv=venv, user="nobody")
    assert run.returncode == 1
    assert f"D2L_VENV={venv} needs installing" in run.stderr and "you may not write to it" in run.stderr
    assert len(run.stderr.splitlines()) == 1
    assert _files(venv) == {**before, "python.log": "-c import sys\n"}


# --- venv's own error ------------------------------------------------------------------------

def test_setup_shows_venvs_own_error_and_installs_no_package(sandbox, tmp_path):
    (tmp_path / "a-file").write_text("")
    venv = tmp_path / "a-file" / "venv"  # python -m venv cannot make it, and python3-venv would not help
    run = sandbox.run("setup", venv=venv, python=sys.executable)
    assert run.returncode == 1
    assert "-m venv" in run.stderr and "Not a directory" in run.stderr
    assert "python3-venv" not in run.stderr and not sandbox.apt_log.exists()


def test_setup_installs_the_venv_package_that_venv_names_when_ensurepip_is_missing(sandbox, tmp_path):
    # Debian's python3.11 without python3.11-venv; apt-get install python3.11-venv provides ensurepip
    installed = tmp_path / "installed-python3.11-venv"
    _script(sandbox.root / "bin" / "apt-get", f"""echo "$*" >> {sandbox.apt_log}
case "$*" in *"install"*"python3.11-venv"*) touch {installed} ;; esac
""")
    (tmp_path / "debian-message").write_text(DEBIAN_NO_ENSUREPIP.format(tmp_path / "venv"))
    python = _script(tmp_path / "debian" / "python3.11", f"""
if [ "$1" = -m ] && [ "$2" = venv ] && [ ! -e {installed} ]; then
    mkdir -p "$3/bin" && cat {tmp_path / "debian-message"}; exit 1
fi
exec {sandbox.python} "$@"
""")
    run = sandbox.run("setup", venv=tmp_path / "venv", python=python)
    assert run.returncode == 0, run.stderr
    assert "install -y -qq python3.11-venv" in sandbox.apt_log.read_text()
    assert run.stderr.rstrip().endswith(f"ready: {tmp_path / 'venv'}")


def test_setup_leaves_no_half_made_venv_when_ensurepip_is_missing_and_apt_fails(sandbox, tmp_path):
    _script(sandbox.root / "bin" / "apt-get", f'echo "$*" >> {sandbox.apt_log}; exit 100\n')  # no root, no sudo
    (tmp_path / "debian-message").write_text(DEBIAN_NO_ENSUREPIP.format(tmp_path / "venv"))
    python = _script(tmp_path / "debian" / "python3.11", f"""
if [ "$1" = -m ] && [ "$2" = venv ]; then
    mkdir -p "$3/bin" && touch "$3/pyvenv.cfg" && cat {tmp_path / "debian-message"}; exit 1
fi
exec {sandbox.python} "$@"
""")
    run = sandbox.run("setup", venv=tmp_path / "venv", python=python)
    assert run.returncode == 1
    assert "install python3.11-venv (apt-get install python3.11-venv)" in run.stderr
    # venv's half-made environment, without pip, would be reused by the next run
    assert not (tmp_path / "venv").exists()


# --- a package removed since the install ------------------------------------------------------

def _dist_info(site, name, version, *requires):
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\n" f"Name: {name}\nVersion: {version}\n"
                                   + "".join(f"Requires-Dist: {r}\n" for r in requires))
    return info


def test_setup_reinstalls_when_a_package_has_gone_since_the_install(sandbox, tmp_path):
    import packaging
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (venv / ".d2lcore-installed").write_text(UP_TO_DATE + "\n")
    site = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    (site / "packaging").symlink_to(pathlib.Path(packaging.__file__).parent)
    _dist_info(site, "d2lcore", "0.1.0", "tqdm>=4.66", 'pytest>=8.0; extra == "test"')
    _dist_info(site, "tqdm", "4.67.1")
    _dist_info(site, "pytest", "8.4.0", "iniconfig", 'colorama; sys_platform == "win32"')
    gone = _dist_info(site, "iniconfig", "2.1.0")
    shutil.rmtree(gone)  # pip uninstall iniconfig, after the install
    for name in ("matplotlib/__init__.py", "matplotlib/pyplot.py", "pip/__init__.py"):
        (site / name).parent.mkdir(exist_ok=True)
        (site / name).write_text("")
    # a pip that logs what it is asked, and whose install brings iniconfig back
    (site / "pip" / "__main__.py").write_text(f"""import shutil, sys
open({str(tmp_path / "pip.log")!r}, "a").write(" ".join(sys.argv[1:]) + "\\n")
if "-e" in sys.argv:
    shutil.copytree({str(tmp_path / "iniconfig")!r}, {str(gone)!r})
""")
    shutil.copytree(site / "tqdm-4.67.1.dist-info", tmp_path / "iniconfig")
    (tmp_path / "iniconfig" / "METADATA").write_text("Metadata-Version: 2.1\nName: iniconfig\nVersion: 2.1.0\n")
    run = sandbox.run("setup", venv=venv)
    assert run.returncode == 0, run.stderr
    assert "installing missing packages: iniconfig (required by pytest)" in run.stderr
    assert "install --quiet -c constraints.txt -e .[lab,onnx,test,teach,site]" in (tmp_path / "pip.log").read_text()
    assert run.stderr.rstrip().endswith(f"ready: {venv}")
    # everything there again: the next run installs nothing
    calls = (tmp_path / "pip.log").read_text()
    again = sandbox.run("setup", venv=venv)
    assert again.returncode == 0 and "missing" not in again.stderr
    assert (tmp_path / "pip.log").read_text() == calls


# --- help, and unknown commands ---------------------------------------------------------------

@pytest.mark.parametrize("word", ["help", "-h", "--help"])
def test_help_prints_the_usage_and_succeeds(sandbox, tmp_path, word):
    run = sandbox.run(word, venv=tmp_path / "venv", course="../course", cwd=ROOT / "tests")
    assert run.returncode == 0
    assert "./course lab [jupyter args]" in run.stdout and "D2L_VENV" in run.stdout
    assert run.stderr == "" and not (tmp_path / "venv").exists()


def test_an_unknown_command_prints_the_usage_and_fails(sandbox, tmp_path):
    run = sandbox.run("frobnicate", venv=tmp_path / "venv")
    assert run.returncode != 0
    assert "./course lab [jupyter args]" in run.stdout + run.stderr
    assert "unknown command 'frobnicate'" in run.stderr


# --- a site folder that cannot be written ----------------------------------------------------

def test_site_says_when_it_cannot_write_its_folder_before_setting_up(sandbox, tmp_path):
    (tmp_path / "a-file").write_text("")
    run = sandbox.run("site", str(tmp_path / "a-file" / "site"), venv=tmp_path / "venv")
    assert run.returncode == 1
    assert f"cannot write the site to {tmp_path}/a-file/site" in run.stderr
    assert "Pass another folder: ./course site /tmp/site" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "venv").exists()


@as_nobody
def test_site_from_a_checkout_another_user_cannot_write(shared_tmp):
    if subprocess.run(["runuser", "-u", "nobody", "--", "test", "-w", str(ROOT)]).returncode == 0:
        pytest.skip("the user nobody may write to this checkout")
    sandbox = Sandbox(shared_tmp / "sandbox")
    run = sandbox.run("site", venv=shared_tmp / "venv", user="nobody")
    assert run.returncode == 1
    assert f"cannot write the site to {ROOT}/_site" in run.stderr and "Permission denied" in run.stderr
    assert "./course site /tmp/site" in run.stderr and "Traceback" not in run.stderr


# --- paths relative to the caller's folder ----------------------------------------------------

def test_test_arguments_that_name_files_are_relative_to_the_callers_folder(sandbox, tmp_path):
    venv = _venv(tmp_path / "venv")
    run = sandbox.run("test", "-q", "test_timer.py::test_timer_records_each_interval", "tests/test_data.py",
                      venv=venv, course="../course", cwd=ROOT / "tests")
    assert run.returncode == 0, run.stderr
    pytest_call = (venv / "python.log").read_text().splitlines()[-1]
    # an option as it came; a file of tests/ made absolute; a name that is nothing in tests/, as it came
    assert pytest_call == ("-m pytest --nbval --nbval-current-env -q "
                           f"{ROOT}/tests/test_timer.py::test_timer_records_each_interval tests/test_data.py")


def test_execute_and_site_take_paths_relative_to_the_callers_folder(sandbox, tmp_path):
    venv = _venv(tmp_path / "venv")
    lesson = sorted((ROOT / "notebooks").glob("0*.ipynb"))[0]
    run = sandbox.run("execute", lesson.name, venv=venv, course="../course", cwd=ROOT / "notebooks")
    assert run.returncode == 0, run.stderr
    calls = (venv / "python.log").read_text().splitlines()
    assert f"scripts/execute_notebook.py {lesson}" in calls  # which applies the slide rules too
    run = sandbox.run("site", "out", venv=venv, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (venv / "python.log").read_text().splitlines()[-1] == f"scripts/build_site.py {tmp_path}/out"


def test_hub_reads_its_arguments_in_the_callers_folder_and_a_name_stays_a_name(sandbox, tmp_path):
    # "cd /home && sudo ./course hub --admin teacher" made the instructor's name the path /home/teacher
    venv = _venv(tmp_path / "venv")
    _script(venv / "bin" / "python", 'echo "$PWD $*" >> "$(dirname "$0")/../python.log"\n')  # where it runs, too
    (tmp_path / "teacher").mkdir()
    run = sandbox.run("hub", "--admin", "teacher", "--roster", "roster.txt", venv=venv, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    calls = (venv / "python.log").read_text().splitlines()
    # in the caller's folder, where class_hub.py finds roster.txt; the name as it came
    assert calls[-1] == f"{tmp_path} {ROOT}/scripts/class_hub.py --admin teacher --roster roster.txt"


@pytest.mark.parametrize("args", [["--help"], ["a", "b"]])
def test_course_site_takes_one_folder_and_builds_nothing_for_anything_else(tmp_path, args):
    # "./course site --help" made ./--help and built the site into it
    run = subprocess.run([str(ROOT / "course"), "site", *args], cwd=tmp_path, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 1 and "usage: ./course site [FOLDER]" in run.stderr
    assert list(tmp_path.iterdir()) == []
