"""`./course test-hub`: simulated students on the class hub (./course hub), and the class's guarantees.

    ./course test-hub                        # 5, 10 and 20 students: lessons 01 and 04 at once
    ./course test-hub --students 2 --checks  # CI's smoke test: 2 students, then the checks below

Starts a hub of its own (its own state folder and ports, the class's environment in D2L_HUB_DIR),
then for N students at once, each through the hub's REST API and their server's kernel websocket,
as a browser would: a Unix account and a server started, the lessons read from the student's own
copy (nbgitpuller's), every code cell of each lesson executed in a fresh kernel (a cell must not
fail unless the lesson tags it raises-exception). Reports server start and lesson times
(p50/p95/max), failures, peak memory (PSS of the students' processes), the hub API's latency
under the load, and how long culling takes to give the memory back. --checks adds: students cannot
read each other's files; a lesson a student edited survives an update of the course; Fashion-MNIST
is one shared read-only copy; a kernel over the memory limit dies while the server lives; a hub
restarted mid-class finds the servers and files still there.

Simulated students are Unix accounts d2lload01, d2lload02, ...; all are removed at the end.
"""
import argparse
import asyncio
import json
import os
import pathlib
import pwd
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

ROOT = pathlib.Path(__file__).resolve().parents[1]
PREFIX = "d2lload"
LESSONS = {"01": "01_linear_regression_scratch.ipynb", "04": "04_softmax_scratch.ipynb",
           "00": "00_preliminaries.ipynb", "02": "02_linear_regression_concise.ipynb"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


class Hub:
    """A JupyterHub started from the class's files, with a service token for this test."""

    def __init__(self, home, state, cull_timeout, mem_limit_gb, admins="", home_root="", disk_quota_gb=0):
        self.home, self.state = home, state
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, D2L_HUB_DIR=str(home), D2L_HUB_STATE=str(state), D2L_HUB_URL=self.url,
                        D2L_HUB_PORT=str(free_port()), D2L_HUB_PROXY_API_PORT=str(free_port()),
                        D2L_HUB_COURSE_REPO=str(home / "course.git"), D2L_DATA_DIR=str(home / "data"),
                        D2L_HUB_ADMINS=admins, D2L_HUB_API_TOKEN=self.token, D2L_HUB_CULL_TIMEOUT=str(cull_timeout),
                        D2L_HUB_CULL_EVERY=str(max(10, cull_timeout // 4)),
                        D2L_HUB_ACTIVITY_INTERVAL=str(max(10, cull_timeout // 4)), D2L_HUB_MEM_LIMIT_GB=str(mem_limit_gb),
                        D2L_HUB_HOME_ROOT=str(home_root), D2L_HUB_DISK_QUOTA_GB=str(disk_quota_gb),
                        D2L_HUB_PROXY=str(home / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy"))
        self.proc = None

    def start(self):
        self.log = open(self.state / "hub.log", "a")
        self.proc = subprocess.Popen([str(self.home / "venv" / "bin" / "jupyterhub"), "-f",
                                      str(self.home / "hub" / "jupyterhub_config.py")],
                                     cwd=self.state, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self, proxy_too=False):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if proxy_too:  # cleanup_proxy is off (servers survive a restart): stop the proxy ourselves
            pid_file = self.state / "jupyterhub-proxy.pid"
            if pid_file.exists():
                try:
                    os.kill(int(pid_file.read_text()), signal.SIGTERM)
                except (ProcessLookupError, ValueError):
                    pass

    async def api(self, method, path, body=None, token=None, timeout=60):
        req = HTTPRequest(f"{self.url}/hub/api{path}", method=method, request_timeout=timeout,
                          headers={"Authorization": f"token {token or self.token}"},
                          body=None if body is None and method == "GET" else json.dumps(body or {}),
                          allow_nonstandard_methods=True)
        resp = await AsyncHTTPClient().fetch(req, raise_error=False)
        if resp.code >= 400:
            raise RuntimeError(f"{method} {path}: {resp.code} {resp.body[:300]!r}")
        return json.loads(resp.body) if resp.body else None

    async def wait_up(self, timeout=120):
        deadline = time.monotonic() + timeout
        while True:
            try:
                await self.api("GET", "/", timeout=5)
                return
            except Exception:
                if time.monotonic() > deadline or (self.proc and self.proc.poll() is not None):
                    raise RuntimeError(f"the hub did not start: {(self.state / 'hub.log').read_text()[-3000:]}")
                await asyncio.sleep(0.5)


class Student:
    def __init__(self, hub, name):
        self.hub, self.name, self.token = hub, name, None
        self.base = f"{hub.url}/user/{name}"

    async def start_server(self, timeout=600):
        if not self.token:  # the first start: the hub user is made (as the instructor's sign-up approval would)
            try:
                await self.hub.api("POST", f"/users/{self.name}")
            except RuntimeError as e:
                if " 409 " not in str(e):  # already a hub user (an admin the hub made at its start)
                    raise
        started = time.monotonic()
        await self.hub.api("POST", f"/users/{self.name}/server")
        while True:
            user = await self.hub.api("GET", f"/users/{self.name}")
            server = user.get("servers", {}).get("")
            if server and server.get("ready"):
                break
            if not user.get("pending") and not server:
                raise RuntimeError(f"{self.name}'s server failed to start")
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"{self.name}'s server not ready after {timeout} s")
            await asyncio.sleep(0.5)
        elapsed = time.monotonic() - started
        self.token = (await self.hub.api("POST", f"/users/{self.name}/tokens",
                                         {"note": "load test", "expires_in": 7200}))["token"]
        return elapsed

    async def server(self, method, path, body=None):
        req = HTTPRequest(f"{self.base}{path}", method=method, request_timeout=120,
                          headers={"Authorization": f"token {self.token}"},
                          body=None if body is None and method in ("GET", "DELETE") else json.dumps(body or {}),
                          allow_nonstandard_methods=True)
        resp = await AsyncHTTPClient().fetch(req)
        return json.loads(resp.body) if resp.body else None

    async def save(self, path, nb):
        """The notebook saved as JupyterLab saves it (the contents API). Returns (HTTP code, message)."""
        try:
            await self.server("PUT", f"/api/contents/{path}", {"type": "notebook", "format": "json", "content": nb})
            return 200, "saved"
        except HTTPClientError as e:
            body = e.response.body.decode(errors="replace") if e.response is not None else ""
            try:
                body = json.loads(body).get("message", body)
            except ValueError:
                pass
            return e.code, body

    async def run_lesson(self, notebook):
        """Every code cell of the student's own copy of the lesson, in a fresh kernel. Returns
        (seconds, list of failures)."""
        path = f"d2lcore/notebooks/{notebook}"
        nb = (await self.server("GET", f"/api/contents/{path}?content=1"))["content"]
        session = await self.server("POST", "/api/sessions", {"path": path, "type": "notebook", "name": notebook,
                                                               "kernel": {"name": "python3"}})
        kernel = session["kernel"]["id"]
        failures, started = [], time.monotonic()
        ws = await websocket_connect(HTTPRequest(
            f"{self.base.replace('http', 'ws', 1)}/api/kernels/{kernel}/channels?session_id={uuid.uuid4().hex}",
            headers={"Authorization": f"token {self.token}"}, request_timeout=600), max_message_size=2**28)
        try:
            for number, cell in enumerate(nb["cells"], 1):
                if cell["cell_type"] != "code" or not "".join(cell["source"]).strip():
                    continue
                raises = "raises-exception" in cell.get("metadata", {}).get("tags", [])
                # as nbclient does: a cell that raises on purpose must not abort the requests after it
                status = await execute(ws, "".join(cell["source"]), self.name, stop_on_error=not raises)
                if (status == "ok") == raises:
                    failures.append(f"{self.name} {notebook} cell {number}: {status}")
                    if not raises:
                        break
        finally:
            ws.close()
            await self.server("DELETE", f"/api/sessions/{session['id']}")
        return time.monotonic() - started, failures


async def send_execute(ws, code, username, stop_on_error=True):
    """An execute_request on the kernel's websocket, as JupyterLab sends one; returns its msg_id."""
    msg_id = uuid.uuid4().hex
    await ws.write_message(json.dumps({
        "header": {"msg_id": msg_id, "username": username, "session": uuid.uuid4().hex,
                   "msg_type": "execute_request", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": stop_on_error}}))
    return msg_id


async def execute(ws, code, username, timeout=900, stop_on_error=True):
    msg_id = await send_execute(ws, code, username, stop_on_error)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            raw = await asyncio.wait_for(ws.read_message(), deadline - time.monotonic())
        except asyncio.TimeoutError:
            break
        if raw is None:
            return "connection closed"
        if isinstance(raw, bytes):  # a binary frame (buffers): not a reply
            continue
        msg = json.loads(raw)
        if msg.get("parent_header", {}).get("msg_id") == msg_id and msg.get("msg_type") == "execute_reply":
            return msg["content"]["status"]
        if msg.get("msg_type") == "status" and msg["content"].get("execution_state") in ("restarting", "dead"):
            return f"kernel {msg['content']['execution_state']}"  # its reply will never come
    return "timed out"


def students_pss_mb(uids):
    """PSS (MB) of every process of these users: what their servers and kernels cost the machine."""
    total = 0
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if proc.stat().st_uid not in uids:
                continue
            rollup = (proc / "smaps_rollup").read_text()
            total += next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
        except (OSError, StopIteration):
            continue
    return total / 1024


async def sample(hub, uids, latencies, peak, stop):
    while not stop.is_set():
        t = time.monotonic()
        try:
            await hub.api("GET", "/users", timeout=60)
            latencies.append(time.monotonic() - t)
        except Exception:
            latencies.append(float("inf"))
        peak[0] = max(peak[0], students_pss_mb(uids()))
        await asyncio.sleep(1)


def uids_of(names):
    out = set()
    for n in names:
        try:
            out.add(pwd.getpwnam(n).pw_uid)
        except KeyError:
            pass
    return out


async def load(hub, n, lessons):
    names = [f"{PREFIX}{k:02d}" for k in range(1, n + 1)]
    students = [Student(hub, name) for name in names]
    latencies, peak, stop = [], [0.0], asyncio.Event()
    sampler = asyncio.create_task(sample(hub, lambda: uids_of(names), latencies, peak, stop))
    starts, times, failures = [], {k: [] for k in lessons}, []

    async def one(student):
        try:
            starts.append(await student.start_server())
        except Exception as e:
            failures.append(f"{student.name}: {e}")
            return
        for k in lessons:
            try:
                seconds, failed = await student.run_lesson(LESSONS[k])
            except Exception as e:
                seconds, failed = None, [f"{student.name} lesson {k}: {type(e).__name__}: {e}"]
            failures.extend(failed)
            if seconds is not None and not failed:
                times[k].append(seconds)

    began = time.monotonic()
    await asyncio.gather(*(one(s) for s in students))
    stop.set()
    await sampler
    report = {"students": n, "wall_s": time.monotonic() - began, "failures": failures,
              "start_p50": pct(starts, 0.5), "start_max": max(starts, default=float("nan")),
              "peak_pss_gb": peak[0] / 1024, "api_p50_ms": 1000 * pct(latencies, 0.5),
              "api_p95_ms": 1000 * pct(latencies, 0.95), "api_max_ms": 1000 * max(latencies, default=float("nan"))}
    for k, v in times.items():
        report[f"lesson{k}"] = (pct(v, 0.5), pct(v, 0.95), max(v, default=float("nan")), len(v))
    return students, report


async def wait_culled(hub, students, timeout):
    """Seconds until the culler has stopped every student's server and their memory is back."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        users = [await hub.api("GET", f"/users/{s.name}") for s in students]
        if not any(u.get("servers") for u in users) and students_pss_mb(uids_of([s.name for s in students])) < 1:
            return time.monotonic() - began
        await asyncio.sleep(2)
    return None


def remove_students(names, exchange=pathlib.Path(os.environ.get("D2L_HUB_DIR", "/opt/d2lcore-hub")) / "exchange"):
    uids = set(uids_of(names))
    for name in names:
        subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
    time.sleep(1)
    remove_owned_by(uids, exchange)
    for name in names:
        subprocess.run(["userdel", "--remove", name], capture_output=True)
        for cg in (f"/sys/fs/cgroup/memory/d2lcore/{name}", f"/sys/fs/cgroup/d2lcore/{name}"):
            if os.path.isdir(cg):
                try:
                    os.rmdir(cg)
                except OSError:
                    pass


def remove_owned_by(uids, folder):
    """What the test's accounts left in the class's nbgrader exchange (a course folder made by their
    instructor, releases, submissions): once they are gone, the next run's accounts (other uids) could
    not write there. Only theirs: a real class's entries stay, also inside a folder a test account
    made (a real student's submission in the inbound folder of the test's instructor)."""
    if not uids or not folder.is_dir():
        return
    for entry in list(folder.iterdir()):
        if entry.is_symlink() or not entry.is_dir():
            continue
        if entry.lstat().st_uid in uids and all_owned_by(uids, entry):
            shutil.rmtree(entry, ignore_errors=True)
        else:
            remove_owned_by(uids, entry)


def all_owned_by(uids, folder):
    """Whether every entry under folder (links not followed) belongs to one of uids."""
    for parent, dirs, files in os.walk(folder):
        for name in dirs + files:
            if os.lstat(os.path.join(parent, name)).st_uid not in uids:
                return False
    return True


class BtrfsHomes:
    """The students' homes on a btrfs filesystem of the test's own (a sparse image, loop-mounted), as on
    a class server whose homes are on btrfs: each home a subvolume, its quota a qgroup limit."""

    def __init__(self, where):
        self.image, self.mount = where.with_suffix(".img"), where

    @staticmethod
    def possible():
        return shutil.which("mkfs.btrfs") is not None and shutil.which("losetup") is not None

    def make(self, size_gb):
        with open(self.image, "wb") as f:
            f.truncate(int(size_gb * 2**30))  # sparse: takes only what the students write
        subprocess.run(["mkfs.btrfs", "--quiet", str(self.image)], check=True, capture_output=True)
        self.mount.mkdir(exist_ok=True)
        subprocess.run(["mount", "-o", "loop", str(self.image), str(self.mount)], check=True)
        os.chmod(self.mount, 0o755)  # as /home: students pass through to their own homes
        # quotas on, as the instructor does once (docs/class-server.md); the first scan takes seconds
        subprocess.run(["btrfs", "quota", "enable", str(self.mount)], check=True, capture_output=True)

    def remove(self):
        if os.path.ismount(self.mount):
            subprocess.run(["umount", "--lazy", str(self.mount)], capture_output=True)
        self.image.unlink(missing_ok=True)
        shutil.rmtree(self.mount, ignore_errors=True)


def existing_load_students():
    return [p.pw_name for p in pwd.getpwall() if p.pw_name.startswith(PREFIX)]


async def checks(hub, students, mem_limit_gb, disk_quota_gb=0):
    """The class's guarantees, on two running students. Returns a list of (check, passed, detail)."""
    a, b = students[0], students[1]
    home_a, home_b = (pathlib.Path(pwd.getpwnam(s.name).pw_dir) for s in (a, b))
    results, open_tabs, done = [], [a, b], asyncio.Event()
    tabs = asyncio.create_task(keep_tabs_open(open_tabs, done))
    try:
        return await _checks(hub, a, b, home_a, home_b, results, open_tabs, mem_limit_gb, disk_quota_gb)
    finally:
        done.set()
        await tabs


async def keep_tabs_open(students, done):
    """What an open JupyterLab tab does: ask its server every few seconds (kernels, sessions), which
    is activity to the culler. The checks take minutes; no server of theirs may be culled meanwhile."""
    while not done.is_set():
        for student in list(students):
            if student.token:
                try:
                    await student.server("GET", "/api/kernels")
                except Exception:
                    pass  # a server restarting (the checks restart some): the next round asks again
        try:
            await asyncio.wait_for(done.wait(), 5)
        except asyncio.TimeoutError:
            pass


async def _checks(hub, a, b, home_a, home_b, results, open_tabs, mem_limit_gb, disk_quota_gb):

    def as_user(name, code):  # as the student's kernel runs: their home, the class's environment
        return subprocess.run(["runuser", "-u", name, "--", str(hub.home / "venv" / "bin" / "python"), "-c", code],
                              capture_output=True, text=True, cwd="/",
                              env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": pwd.getpwnam(name).pw_dir,
                                   "D2L_DATA_DIR": hub.env["D2L_DATA_DIR"]})

    # 1. one student cannot read or change another's files
    probe = home_b / "d2lcore" / "notebooks" / LESSONS["01"]
    r = as_user(a.name, f"import os; print(os.access({str(probe)!r}, os.R_OK), os.access({str(home_b)!r}, os.W_OK)); "
                        f"open({str(probe)!r}).read()")
    results.append(("a student cannot read another's lessons or write in their home",
                    "PermissionError" in r.stderr and r.stdout.strip() == "False False",
                    (r.stdout + r.stderr).strip().splitlines()[-1:]))
    # 2. a lesson the student edited survives the course's update (nbgitpuller's merge)
    mine = home_a / "d2lcore" / "notebooks" / LESSONS["00"]
    original = mine.read_text()
    edited = original.replace('"cell_type": "markdown"', '"cell_type": "markdown"', 1)  # same JSON, then mark it
    nb = json.loads(edited)
    nb["cells"].append({"cell_type": "markdown", "metadata": {}, "source": ["my own notes"], "id": "student-notes"})
    as_user_write = subprocess.run(["runuser", "-u", a.name, "--", "tee", str(mine)], input=json.dumps(nb, indent=1),
                                   capture_output=True, text=True)
    work = pathlib.Path(tempfile.mkdtemp(prefix="course-update-"))
    try:
        subprocess.run(["git", "clone", "--quiet", str(hub.home / "course.git"), str(work / "c")], check=True)
        (work / "c" / "COURSE_UPDATE.md").write_text("a change of the course after the students started\n")
        subprocess.run(["git", "-C", str(work / "c"), "add", "COURSE_UPDATE.md"], check=True)
        subprocess.run(["git", "-C", str(work / "c"), "-c", "user.name=instructor", "-c", "user.email=i@example.org",
                        "commit", "--quiet", "-m", "course update"], check=True)
        subprocess.run(["git", "-C", str(work / "c"), "push", "--quiet", str(hub.home / "course.git"), "HEAD:main"],
                       check=True)
        await hub.api("DELETE", f"/users/{a.name}/server")
        await wait_stopped(hub, a.name)
        await a.start_server()
        kept = "my own notes" in mine.read_text()
        updated = (home_a / "d2lcore" / "COURSE_UPDATE.md").exists()
        results.append(("the course's update reaches a student's copy and keeps their edit",
                        as_user_write.returncode == 0 and kept and updated, f"edit kept {kept}, update arrived {updated}"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        subprocess.run(["git", "--git-dir", str(hub.home / "course.git"), "fetch", "--quiet", "--force", str(ROOT),
                        "HEAD:main"], check=False)
    # 3. one read-only copy of Fashion-MNIST, read by every student's kernel
    r = as_user(b.name, "import os, d2lcore as d2l; tr, te = d2l.load_data_fashion_mnist(256); "
                        f"print(len(tr.images), os.access({str(hub.home / 'data')!r}, os.W_OK))")
    copies = [p for h in (home_a, home_b) for p in h.rglob("*-ubyte*")]
    results.append(("Fashion-MNIST: one shared read-only copy, none in the students' homes",
                    r.stdout.strip() == "60000 False" and not copies,
                    f"{(r.stdout + r.stderr).strip()[-200:]}; copies in the homes: {[str(p) for p in copies][:3]}"))
    # 4. a kernel over the memory limit is killed, the student's server lives on
    session = await b.server("POST", "/api/sessions", {"path": "hog.ipynb", "type": "notebook", "name": "hog.ipynb",
                                                        "kernel": {"name": "python3"}})
    ws = await websocket_connect(HTTPRequest(
        f"{b.base.replace('http', 'ws', 1)}/api/kernels/{session['kernel']['id']}/channels",
        headers={"Authorization": f"token {b.token}"}))
    hog = f"blocks = []\nwhile True:\n    blocks.append(bytearray({2**27}))  # 128 MiB at a time, written\n"
    status = await execute(ws, hog, b.name, timeout=120)  # never ends: "kernel restarting" once killed
    ws.close()
    await asyncio.sleep(3)
    alive = (await b.server("GET", "/api/status")) is not None
    kernels = await b.server("GET", "/api/kernels")
    results.append((f"a kernel over the {mem_limit_gb} GB limit dies, the server lives",
                    status in ("kernel restarting", "kernel dead") and alive, f"kernel: {status}; server answers: {alive}; kernels now {len(kernels)}"))
    await b.server("DELETE", f"/api/sessions/{session['id']}")
    # 5. a student who fills their disk quota: their saved work intact, nobody else affected
    if disk_quota_gb:
        results.append(await quota_check(hub, a, b, as_user, disk_quota_gb))
    # 6. a graded assignment's round: instructor, two students, nbgrader's exchange and formgrader
    results.append(await assignments_check(hub, a, b, as_user, open_tabs))
    # 7. the hub restarted mid-class: servers, kernels and files survive
    before = {s.name: (await hub.api("GET", f"/users/{s.name}"))["servers"][""]["url"] for s in (a, b)}
    hub.stop()
    hub.start()
    await hub.wait_up()
    after = {}
    for s in (a, b):
        user = await hub.api("GET", f"/users/{s.name}")
        after[s.name] = user.get("servers", {}).get("", {}).get("url")
    seconds, failed = await a.run_lesson(LESSONS["00"])
    results.append(("a hub restarted mid-class finds every server running and a lesson runs on",
                    before == after and not failed, f"servers {after}; lesson 00 after the restart: {failed or 'ok'}"))
    return results


async def quota_check(hub, a, b, as_user, quota_gb):
    """Student a fills their home to the quota: saving a notebook fails with the reason and leaves the
    file as last saved; b saves and writes as before; a's server restarts, a frees space and saves."""
    lesson = f"d2lcore/notebooks/{LESSONS['00']}"
    on_disk = pathlib.Path(pwd.getpwnam(a.name).pw_dir) / lesson
    fill = as_user(a.name, "import os, errno\nf = open(os.path.expanduser('~/filler.bin'), 'wb')\ntry:\n"
                           "    while True:\n        f.write(os.urandom(1 << 22)); f.flush(); os.fsync(f.fileno())\n"
                           "except OSError as e:\n    print(errno.errorcode[e.errno], os.path.getsize(f.name) >> 20)")
    full = fill.stdout.split()[:1] == ["EDQUOT"]
    before = on_disk.read_bytes()
    nb = (await a.server("GET", f"/api/contents/{lesson}?content=1"))["content"]
    nb["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "a note written at the quota",
                        "id": "at-quota"})
    code, said = await a.save(lesson, nb)
    intact = on_disk.read_bytes() == before
    theirs = (await b.server("GET", f"/api/contents/{lesson}?content=1"))["content"]
    theirs["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "b's note", "id": "b-note"})
    b_code, _ = await b.save(lesson, theirs)
    b_writes = as_user(b.name, "import os; open(os.path.expanduser('~/more.bin'), 'wb').write(os.urandom(8 << 20)); "
                               "print('wrote')").stdout.strip() == "wrote"
    await hub.api("DELETE", f"/users/{a.name}/server")
    await wait_stopped(hub, a.name)
    try:
        await a.start_server()
        restarted = True
    except Exception as e:
        restarted = f"{type(e).__name__}: {e}"
    # the student deletes the file in JupyterLab's file browser (the contents API)
    if restarted is True:
        await a.server("DELETE", "/api/contents/filler.bin")
    else:  # as they would in a terminal, so that the checks after this one can go on
        as_user(a.name, "import os; os.remove(os.path.expanduser('~/filler.bin'))")
        await a.start_server()
    room = as_user(a.name, "import os; open(os.path.expanduser('~/again.bin'), 'wb').write(os.urandom(128 << 20)); "
                           "print('room')").stdout.strip() == "room"  # the space came back (no trash folder)
    after_code, after_said = await a.save(lesson, nb)
    passed = (full and code >= 400 and "Disk quota exceeded" in said and intact and b_code == 200 and b_writes
              and restarted is True and room and after_code == 200 and "written at the quota" in on_disk.read_text())
    return (f"a student who fills their {quota_gb} GB quota keeps their notebook, others go on", passed,
            f"filled: {fill.stdout.strip() or fill.stderr.strip()[-200:]}; their save: {code} {said[:160]!r}, "
            f"file intact {intact}; the other's save {b_code}, writes {b_writes}; server restarted {restarted}; "
            f"deleted in JupyterLab, 128 MB written again {room}, saved {after_code} {after_said[:100]!r}")


INSTRUCTOR = f"{PREFIX}t"


async def assignments_check(hub, a, b, as_user, open_tabs):
    """A graded assignment's whole round on the hub, as JupyterLab's nbgrader panels do it: the
    instructor releases lesson 01's assignment in formgrader; both students fetch it; a solves it,
    b plants an sgd without / batch_size; both validate and submit; the instructor collects,
    autogrades and releases feedback; the students fetch their feedback."""
    name, course = "01_linear_regression_scratch", {"course_id": "d2lcore"}
    teacher = Student(hub, INSTRUCTOR)
    await teacher.start_server()  # its first start copies the class's assignments to ~/course
    open_tabs.append(teacher)
    await teacher.server("POST", f"/formgrader/api/assignment/{name}/release")
    from assignments import solved  # (scripts/, beside this file)
    answers = solved(hub.home / "assignments" / "source" / name / f"{name}.ipynb")
    path, verdicts = f"{name}/{name}.ipynb", {}
    for student, mistake in ((a, None), (b, ("/ batch_size", ""))):
        fetched = await student.server("POST", "/assignments/fetch", dict(course, assignment_id=name))
        nb = (await student.server("GET", f"/api/contents/{path}?content=1"))["content"]
        for cell in nb["cells"]:
            grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
            if grade_id in answers:
                cell["source"] = answers[grade_id].replace(*mistake) if mistake and grade_id == "sgd-answer" else answers[grade_id]
        code, said = await student.save(path, nb)
        valid = await student.server("POST", "/assignments/validate", {"path": path})
        failed = [c["source"] for c in (valid.get("value") or {}).get("failed", []) if "d2l.check_" in c["source"]]
        verdicts[student.name] = (fetched.get("success"), code, failed)
        submitted = await student.server("POST", "/assignments/submit", dict(course, assignment_id=name))
        verdicts[student.name] += (submitted.get("success"),)
    # one student cannot read what another submitted: the exchange's inbound folder is write-only to them
    inbound = hub.home / "exchange" / "d2lcore" / "inbound"
    peek = as_user(a.name, f"import os; print(os.listdir({str(inbound)!r}))")
    private = "PermissionError" in peek.stderr
    # nor the instructors' version, which holds the worked solutions (and the gradebook)
    source = hub.home / "assignments" / "source" / name / f"{name}.ipynb"
    keys = as_user(a.name, f"print(open({str(source)!r}).read()[:10])")
    keys_hidden = "PermissionError" in keys.stderr
    # b submits its own (wrong) work under a's name, dated later: nbgrader's own collect took the newest
    # entry named after a; the class's takes only a's own (hub/safe_collect.py), so a keeps 6 of 6
    forged = inbound / f"{a.name}+{name}+2099-01-01 00:00:00.000000 UTC"
    as_user(b.name, f"import os, shutil; os.mkdir({str(forged)!r}); "
                    f"shutil.copy(os.path.expanduser({'~/' + path!r}), {str(forged)!r}); "
                    f"open(os.path.join({str(forged)!r}, 'timestamp.txt'), 'w').write('2099-01-01 00:00:00.000000 UTC')")
    forged_made = forged.is_dir()
    await teacher.server("POST", f"/formgrader/api/assignment/{name}/collect")
    scores = {}
    for student in (a, b):
        await teacher.server("POST", f"/formgrader/api/submission/{name}/{student.name}/autograde")
    for sub in await teacher.server("GET", f"/formgrader/api/submissions/{name}"):
        scores[sub["student"]] = (sub.get("code_score"), sub.get("max_code_score"))
    await teacher.server("POST", f"/formgrader/api/assignment/{name}/generate_feedback")
    await teacher.server("POST", f"/formgrader/api/assignment/{name}/release_feedback")
    feedback = {}
    for student in (a, b):
        await student.server("POST", "/assignments/fetch_feedback", dict(course, assignment_id=name))
        home = pathlib.Path(pwd.getpwnam(student.name).pw_dir)
        feedback[student.name] = [p.name for p in (home / name / "feedback").rglob("*.html")]
    passed = (verdicts[a.name][:3] == (True, 200, []) and verdicts[b.name][0] is True
              and len(verdicts[b.name][2]) == 1 and "check_sgd" in verdicts[b.name][2][0]
              and verdicts[a.name][3] is True and verdicts[b.name][3] is True and private and keys_hidden and forged_made
              and scores.get(a.name) == (6.0, 6.0) and scores.get(b.name) == (3.0, 6.0)
              and all(f == [f"{name}.html"] for f in feedback.values()))
    return ("a graded assignment: released, fetched, validated, submitted, collected, autograded, feedback back",
            passed, f"fetch/save/validate failures/submit: {verdicts}; inbound unreadable to a student: {private}; "
                    f"the instructors' version unreadable to a student: {keys_hidden}; "
                    f"an entry under another's name planted: {forged_made}; "
                    f"autograded (score, max): {scores}; feedback: {feedback}")


async def wait_stopped(hub, name, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        user = await hub.api("GET", f"/users/{name}")
        if not user.get("servers") and not user.get("pending"):
            return
        await asyncio.sleep(0.5)
    raise RuntimeError(f"{name}'s server did not stop")


def print_report(r):
    lessons = [k for k in r if k.startswith("lesson")]
    print(f"\n## {r['students']} students at once ({r['wall_s']:.0f} s in all)")
    print(f"- servers started: p50 {r['start_p50']:.1f} s, max {r['start_max']:.1f} s")
    for k in lessons:
        p50, p95, mx, done = r[k]
        print(f"- lesson {k[6:]}: p50 {p50:.1f} s, p95 {p95:.1f} s, max {mx:.1f} s ({done} of {r['students']} finished)")
    print(f"- failures: {len(r['failures'])}" + "".join(f"\n  - {f}" for f in r["failures"][:20]))
    print(f"- peak memory of the students' processes (PSS): {r['peak_pss_gb']:.2f} GB, "
          f"{r['peak_pss_gb'] / r['students']:.2f} GB a student")
    print(f"- hub API latency during the load: p50 {r['api_p50_ms']:.0f} ms, p95 {r['api_p95_ms']:.0f} ms, "
          f"max {r['api_max_ms']:.0f} ms")


async def main_async(args):
    home = pathlib.Path(os.environ.get("D2L_HUB_DIR", "/opt/d2lcore-hub"))
    leftovers = existing_load_students()
    if leftovers:
        remove_students(leftovers)
    ok = True
    for n in args.students:
        state = pathlib.Path(tempfile.mkdtemp(prefix="d2l-hub-test-"))
        os.chmod(state, 0o700)
        # the checks put the homes on a btrfs filesystem of their own, where disk quotas work
        homes = BtrfsHomes(pathlib.Path(tempfile.mkdtemp(prefix="d2l-homes-"))) if args.checks and BtrfsHomes.possible() else None
        if args.checks and not homes:
            print("- no disk-quota check: needs btrfs (btrfs-progs) and loop devices (mount -o loop)", flush=True)
        hub = Hub(home, state, args.cull_timeout, args.mem_limit_gb, admins=INSTRUCTOR if args.checks else "",
                  home_root=homes.mount if homes else "",
                  disk_quota_gb=args.disk_quota_gb if homes else 0)
        try:
            if homes:
                homes.make(size_gb=max(4, n * args.disk_quota_gb + 2))
            hub.start()
            await hub.wait_up()
            students, report = await load(hub, n, args.lessons)
            print_report(report)
            results = []
            if args.checks and n >= 2 and not report["failures"]:
                results = await checks(hub, students, args.mem_limit_gb, args.disk_quota_gb if homes else 0)
                for what, passed, detail in results:
                    print(f"- check: {what}: {'passed' if passed else 'FAILED'} ({detail})", flush=True)
            culled = await wait_culled(hub, students, args.cull_timeout * 3 + 120)
            print(f"- idle servers culled, their memory back: "
                  f"{'after %.0f s' % culled if culled is not None else 'NOT within the wait'}", flush=True)
            ok &= not report["failures"] and culled is not None and all(p for _, p, _ in results)
        finally:
            hub.stop(proxy_too=True)
            remove_students(existing_load_students())  # the students and the instructor
            if homes:
                homes.remove()
            if not args.keep:
                shutil.rmtree(state, ignore_errors=True)
            else:
                print(f"hub log kept: {state / 'hub.log'}")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--lessons", default="01,04", help="lessons each student runs, in order (default 01,04)")
    parser.add_argument("--checks", action="store_true", help="also check isolation, updates, data, limits, restart")
    parser.add_argument("--cull-timeout", type=int, default=120, help="idle seconds before the culler stops a server")
    parser.add_argument("--mem-limit-gb", type=float, default=3.0)
    parser.add_argument("--disk-quota-gb", type=float, default=0.25,
                        help="with --checks: each student's disk quota, on a btrfs filesystem of the test's own")
    parser.add_argument("--keep", action="store_true", help="keep each run's hub log")
    args = parser.parse_args()
    args.lessons = args.lessons.split(",")
    if os.geteuid() != 0:
        raise SystemExit("the load test makes Unix accounts for its students: run it as root")
    sys.exit(0 if asyncio.run(main_async(args)) else 1)


if __name__ == "__main__":
    main()
