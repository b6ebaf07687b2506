"""`./course hub`: the course for a class on this server, on JupyterHub (docs/class-server.md).

    ./course hub [--admin NAME] [--roster FILE] [--url URL] [--mem-limit-gb G] [--disk-quota-gb G]
                 [--home-root DIR]                                            # set up, then start
    ./course hub --setup-only

Runs as root (students are Unix accounts). Everything the class needs lives in D2L_HUB_DIR
(default /opt/d2lcore-hub), owned by root, readable by the students where they must read it:
  venv/      the class's Python environment, from a system Python (students run it; a Python under
             /root would be unreadable to them), the course installed (not editable) with the
             versions constraints.txt pins, and hub/requirements.txt's JupyterHub parts
  proxy/     configurable-http-proxy (npm)
  course.git a mirror of this checkout's committed branch; nbgitpuller copies it to each student
  data/      Fashion-MNIST, verified, one read-only copy for everyone
  hub/       this folder's config, spawner and the students' start script
  state/     the hub's database and cookie secret (root only)
Setting up again is quick when nothing changed; the mirror is refreshed at every start.
"""
import argparse
import hashlib
import json
import os
import pathlib
import shutil
import stat
import subprocess
import sys

import lab_defaults

ROOT = pathlib.Path(__file__).resolve().parents[1]
PROXY_VERSION = "5.3.0"  # configurable-http-proxy
# constraints.txt's pins that need a newer Python than Debian 12's system Python (3.11.2): left to
# pip there (soupsieve 4.1.2, a dependency of nbconvert's, requires Python >= 3.11.5)
UNPINNED = {"soupsieve"}


def say(text):
    print(f"\033[1m[course hub]\033[0m {text}", file=sys.stderr, flush=True)


def run(*cmd, **kw):
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


def readable_by_all(path):
    """Whether every folder above `path` lets other users through, and `path` itself is readable."""
    path = pathlib.Path(path).resolve()
    for p in [path, *path.parents]:
        mode = p.stat().st_mode
        if not mode & (stat.S_IXOTH if p.is_dir() else stat.S_IROTH):
            return False
    return True


def python_for_students(python):
    python = shutil.which(python) or python
    real = pathlib.Path(python).resolve()
    if not readable_by_all(real):
        raise SystemExit(f"{python} ({real}) lies in a folder students cannot enter: choose a system Python with "
                         "D2L_HUB_PYTHON (e.g. /usr/bin/python3.11)")
    version = subprocess.run([python, "-c", "import sys; print(sys.version_info >= (3, 11))"],
                             capture_output=True, text=True).stdout.strip()
    if version != "True":
        raise SystemExit(f"{python} is older than Python 3.11, which the course needs: set D2L_HUB_PYTHON")
    return python


def setup(home, python):
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o755)
    venv = home / "venv"
    want = hashlib.sha256(b"".join((ROOT / f).read_bytes() for f in
                                   ("pyproject.toml", "constraints.txt", "hub/requirements.txt"))).hexdigest()
    stamp = venv / ".d2lcore-class"
    version = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    if not stamp.exists() or stamp.read_text() != want + version:
        say(f"the class's Python environment in {venv} (a few minutes the first time)")
        if not (venv / "bin" / "python").exists():
            run(python, "-m", "venv", venv)
        pip = [venv / "bin" / "python", "-m", "pip", "install", "--quiet"]
        run(*pip, "--upgrade", "pip")
        # the versions the course is tested with, but for pins a system Python may be too old for
        pins = [line for line in (ROOT / "constraints.txt").read_text().splitlines()
                if line.split("==")[0].strip().lower() not in UNPINNED]
        (home / "constraints.txt").write_text("\n".join(pins) + "\n")
        # not editable: students' kernels import d2lcore from the environment, not from this checkout
        run(*pip, "-c", home / "constraints.txt", "-r", ROOT / "hub" / "requirements.txt", f"{ROOT}[lab,onnx]")
        stamp.write_text(want + version)
    # idle kernels shut down by each student's server, as in ./course lab (docs/presenting.md)
    server = venv / "etc" / "jupyter"
    server.mkdir(parents=True, exist_ok=True)
    # kernels talk to their server over Unix sockets in the student's runtime folder, not TCP: with
    # TCP, 20 kernels starting at once raced for ports ("Address already in use") and one died for good.
    # Only the server's own kernels (ServerKernelManager): nbgrader's autograde, run inside an
    # instructor's server, starts kernels without a connection file, whose socket path is then
    # relative to the notebook's folder, and never reached them ("Kernel didn't respond in 60 seconds")
    # a file deleted in JupyterLab is gone, as its dialog says ("permanently delete"), not moved to a
    # trash folder in the home, where it would still count against the student's disk quota
    (server / "jupyter_server_config.json").write_text(
        '{"MappingKernelManager": {"cull_idle_timeout": 1800, "cull_interval": 300, "cull_connected": false},\n'
        ' "ServerKernelManager": {"transport": "ipc"},\n'
        ' "FileContentsManager": {"delete_to_trash": false}}\n')
    # as in ./course lab: a lesson's kernel starts when it opens and stops when its tab closes (on a
    # shared server, forgotten kernels of 1 GB each run into the student's memory limit), widgets
    # render in RISE slideshows and a lost kernel is told (scripts/lab_defaults.py)
    lab_defaults.install(venv)
    if not shutil.which("btrfs") and shutil.which("apt-get"):  # the students' disk quotas (btrfs qgroups)
        say("btrfs-progs (apt), for the students' disk quotas")
        if subprocess.run(["apt-get", "install", "-y", "-qq", "btrfs-progs"], capture_output=True).returncode:
            say("warning: apt-get could not install btrfs-progs: no disk quotas (docs/class-server.md)")
    graded_assignments(home, venv)
    proxy = home / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
    if not proxy.exists():
        say("configurable-http-proxy (npm)")
        run("npm", "install", "--silent", "--prefix", home / "proxy", f"configurable-http-proxy@{PROXY_VERSION}")
    hub = home / "hub"
    hub.mkdir(exist_ok=True)
    for name in ("jupyterhub_config.py", "class_spawner.py", "start-student"):
        shutil.copy2(ROOT / "hub" / name, hub / name)
    data = home / "data"
    if not (data / ".verified").exists():
        say(f"Fashion-MNIST into {data}, read-only for the students")
        run(venv / "bin" / "python", "-c", "import sys; from d2lcore.infra import ensure_fashion_mnist; "
            "ensure_fashion_mnist(sys.argv[1])", data)
        (data / ".verified").write_text("")
    run("chmod", "-R", "a+rX,go-w", data)
    (home / "state").mkdir(exist_ok=True)
    os.chmod(home / "state", 0o700)
    mirror(home / "course.git")
    run("chmod", "-R", "a+rX,go-w", venv, home / "proxy", hub, home / "course.git")
    if subprocess.run(["getent", "group", "d2lstudents"], capture_output=True).returncode != 0:
        run("groupadd", "d2lstudents")


# nbgrader's parts that only the instructor gets (the students fetch, validate and submit)
INSTRUCTOR_ONLY_LAB = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                       "@jupyter/nbgrader:course-list"]
INSTRUCTOR_ONLY_SERVER = ["nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list"]


def graded_assignments(home, venv):
    """nbgrader for the class (docs/assignments.md): one exchange every account can write into, the
    course's assignments built once (each instructor's server copies them to ~/course at its first
    start), formgrader and the assignment tools for instructors only."""
    exchange = home / "exchange"
    exchange.mkdir(exist_ok=True)
    os.chmod(exchange, 0o1777)  # as nbgrader's docs ask; sticky: no one removes another's entries
    # the instructors' collect: no entry taken under another student's name, no link followed (hub/safe_collect.py)
    site = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    shutil.copy2(ROOT / "hub" / "safe_collect.py", pathlib.Path(site) / "d2lcore_safe_collect.py")
    etc = venv / "etc" / "jupyter"
    (etc / "nbgrader_config.py").write_text(
        "# written by ./course hub: every account's nbgrader\n"
        "c = get_config()  # noqa: F821\n"
        'c.CourseDirectory.course_id = "d2lcore"\n'
        f"c.Exchange.root = {str(exchange)!r}\n"
        'c.ExchangeFactory.collect = "d2lcore_safe_collect.SafeExchangeCollect"\n')
    (etc / "labconfig").mkdir(parents=True, exist_ok=True)
    (etc / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {name: True for name in INSTRUCTOR_ONLY_LAB}}, indent=1) + "\n")
    # loaded after nbgrader's own nbgrader.json (the folder's files in name order), so it wins
    (etc / "jupyter_server_config.d" / "zz-d2lcore-students.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": {name: False for name in INSTRUCTOR_ONLY_SERVER}}}, indent=1) + "\n")
    instructor = home / "instructor"  # JUPYTER_CONFIG_PATH of an instructor's server: before sys.prefix's
    (instructor / "labconfig").mkdir(parents=True, exist_ok=True)
    (instructor / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {name: False for name in INSTRUCTOR_ONLY_LAB}}, indent=1) + "\n")
    (instructor / "jupyter_server_config.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": {name: True for name in INSTRUCTOR_ONLY_SERVER}}}, indent=1) + "\n")
    (instructor / "nbgrader_config.py").write_text(
        "# written by ./course hub: an instructor's course folder, copied from the class's at their first start\n"
        "import os\n"
        "c = get_config()  # noqa: F821\n"
        'c.CourseDirectory.root = os.path.expanduser("~/course")\n')
    template = home / "assignments"
    say(f"the course's assignments (nbgrader) in {template}")
    run(venv / "bin" / "python", ROOT / "scripts" / "assignments.py", template, stdout=subprocess.DEVNULL)
    run("chmod", "-R", "a+rX,go-w", instructor)
    # the instructors' version, with the worked solutions and the gradebook: root's alone (the hub, as
    # root, copies it into an instructor's ~/course); the students get the released copies by nbgrader
    run("chmod", "-R", "go-rwx", template)


def mirror(repo):
    """The committed state of this checkout's branch, where students' servers pull it from."""
    if not repo.exists():
        run("git", "init", "--quiet", "--bare", repo)
    branch = subprocess.run(["git", "-C", str(ROOT), "symbolic-ref", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "main"
    run("git", "--git-dir", repo, "fetch", "--quiet", "--force", ROOT, f"{branch}:main")
    run("git", "--git-dir", repo, "symbolic-ref", "HEAD", "refs/heads/main")


def hub_environment(home, args):
    env = dict(os.environ, D2L_HUB_DIR=str(home), D2L_HUB_COURSE_REPO=str(home / "course.git"),
               D2L_DATA_DIR=str(home / "data"), D2L_HUB_URL=args.url, D2L_HUB_ADMINS=",".join(args.admin),
               D2L_HUB_MEM_LIMIT_GB=str(args.mem_limit_gb), D2L_HUB_DISK_QUOTA_GB=str(args.disk_quota_gb),
               D2L_HUB_HOME_ROOT=os.path.abspath(args.home_root) if args.home_root else "",
               D2L_HUB_PROXY=str(home / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy"))
    if args.roster:
        env["D2L_HUB_ROSTER"] = str(pathlib.Path(args.roster).resolve())
    return env


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--admin", action="append", default=[], metavar="NAME",
                        help="the instructor's hub name (admin), e.g. --admin teacher")
    parser.add_argument("--roster", metavar="FILE", help="students' names, one per line: only they may sign up")
    parser.add_argument("--url", default="http://127.0.0.1:8000",
                        help="where the hub listens (default: this machine only; docs/class-server.md for a public one)")
    parser.add_argument("--mem-limit-gb", type=float, default=3.0, help="memory per student (default 3 GB)")
    parser.add_argument("--disk-quota-gb", type=float, default=2.0,
                        help="disk space per student (default 2 GB; their homes must be on btrfs: docs/class-server.md)")
    parser.add_argument("--home-root", default="", metavar="DIR",
                        help="where the students' homes are made (default /home)")
    parser.add_argument("--setup-only", action="store_true")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("./course hub makes a Unix account per student: run it as root (sudo ./course hub)")
    home = pathlib.Path(os.environ.get("D2L_HUB_DIR", "/opt/d2lcore-hub"))
    setup(home, python_for_students(os.environ.get("D2L_HUB_PYTHON", "/usr/bin/python3")))
    if args.setup_only:
        say(f"set up in {home}")
        return
    if not args.admin:
        raise SystemExit("name the instructor: ./course hub --admin NAME (then sign up as NAME at /hub/signup)")
    homes = args.home_root or "/home"
    if args.home_root and not os.path.isdir(homes):
        raise SystemExit(f"--home-root {homes}: no such folder")
    fstype = subprocess.run(["findmnt", "--noheadings", "--output", "FSTYPE", "--target", homes],
                            capture_output=True, text=True).stdout.strip()
    if args.disk_quota_gb and fstype != "btrfs":
        say(f"warning: no disk quota: the students' homes in {homes} are on {fstype or 'an unknown filesystem'}, "
            "and the class's quotas need btrfs (docs/class-server.md, 'Disk quotas'); one student can fill the disk")
    elif args.disk_quota_gb and not shutil.which("btrfs"):
        raise SystemExit("the students' homes are on btrfs, but its tools are missing: apt-get install btrfs-progs")
    say(f"JupyterHub at {args.url}: sign up as {', '.join(args.admin)} at {args.url}/hub/signup, then authorise "
        f"your students' sign-ups at {args.url}/hub/authorize (Ctrl-C stops the hub; students' servers keep running)")
    os.chdir(home / "state")
    os.execve(str(home / "venv" / "bin" / "jupyterhub"),
              ["jupyterhub", "-f", str(home / "hub" / "jupyterhub_config.py")], hub_environment(home, args))


if __name__ == "__main__":
    main()
