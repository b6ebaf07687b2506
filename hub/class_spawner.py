"""The students' servers: JupyterHub's LocalProcessSpawner, with a Unix account per student (as The
Littlest JupyterHub makes them), a memory limit per student (a cgroup), so that a runaway kernel
is killed instead of the server, and a disk quota per student where their homes are on btrfs (a
subvolume per home, its qgroup limited), so that one student filling the disk stops only them."""
import asyncio
import grp
import os
import pwd
import stat
import subprocess

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Integer, Unicode

CGROUP_V1 = "/sys/fs/cgroup/memory"  # cgroup v1's memory hierarchy
CGROUP_V2 = "/sys/fs/cgroup"  # cgroup v2, where it is the only hierarchy


class NotAStudentError(RuntimeError):
    """A hub user whose name is a Unix account outside the class: never run a server as it."""


class ClassSpawner(LocalProcessSpawner):
    student_group = Unicode("d2lstudents", config=True, help="Unix group of every student account")
    mem_limit_bytes = Integer(3 * 2**30, config=True,
                              help="memory of one student's server and kernels together (0: no limit)")
    runtime_root = Unicode("/run/d2lcore", config=True,
                           help="where each student's runtime folder (kernels' sockets) is made, one per uid")
    instructor_config = Unicode("", config=True,
                                help="JUPYTER_CONFIG_PATH of an admin's server: formgrader, their course folder")
    assignments_template = Unicode("", config=True,
                                   help="the course's nbgrader folder, copied to an admin's ~/course at first start")
    home_root = Unicode("", config=True, help="folder of the students' homes (useradd --base-dir); '' is /home")
    disk_quota_bytes = Integer(0, config=True,
                               help="disk space of one student's home (0: no limit); needs home_root on btrfs")

    def ensure_account(self):
        """The student's Unix account, made at their first start: home 0700, in the class's group.
        A name that is already an account outside the group (a system or staff account) is refused."""
        name = self.user.name
        try:
            account = pwd.getpwnam(name)
        except KeyError:
            account = self.make_account(name)
        else:
            if name not in grp.getgrnam(self.student_group).gr_mem:
                raise NotAStudentError(f"{name!r} is a Unix account outside the group {self.student_group}: "
                                       "the hub runs servers only for students' accounts")
        # other students cannot read it, whatever useradd's default. Only when it is not 0700 already:
        # on a full btrfs home even chmod fails (EDQUOT), and the student could not start at all
        if stat.S_IMODE(os.stat(account.pw_dir).st_mode) != 0o700:
            os.chmod(account.pw_dir, 0o700)
        return account

    def make_account(self, name):
        base = ["--base-dir", self.home_root] if self.home_root else []
        if not (self.disk_quota_bytes and _is_btrfs(self.home_root or "/home")):
            subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", "--key", "HOME_MODE=0700",
                            "--groups", self.student_group, *base, name], check=True, capture_output=True)
            return pwd.getpwnam(name)
        # a quota on btrfs is a limit on a subvolume: the home is made one, then filled as useradd would
        subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/bash", "--groups", self.student_group,
                        *base, name], check=True, capture_output=True)
        account = pwd.getpwnam(name)
        subprocess.run(["btrfs", "subvolume", "create", account.pw_dir], check=True, capture_output=True)
        subprocess.run(["cp", "-a", "/etc/skel/.", account.pw_dir], check=False, capture_output=True)
        subprocess.run(["chown", "-R", f"{account.pw_uid}:{account.pw_gid}", account.pw_dir], check=True)
        return account

    def disk_quota(self, account):
        """The student's home limited to disk_quota_bytes (a btrfs qgroup); a warning where it cannot be."""
        if not self.disk_quota_bytes:
            return
        home = account.pw_dir
        if not _is_btrfs(home) or subprocess.run(["btrfs", "subvolume", "show", home], capture_output=True).returncode:
            self.log.warning("%s's home %s is not a btrfs subvolume: no disk quota for it (docs/class-server.md, "
                             "'Disk quotas')", account.pw_name, home)
            return
        limit = ["btrfs", "qgroup", "limit", str(self.disk_quota_bytes), home]
        if subprocess.run(limit, capture_output=True).returncode:  # quotas not yet enabled on this filesystem
            subprocess.run(["btrfs", "quota", "enable", home], capture_output=True)
            again = subprocess.run(limit, capture_output=True, text=True)
            if again.returncode:  # the student still starts (a limit set before stays): never locked out
                self.log.warning("could not set %s's disk quota on %s: %s", account.pw_name, home,
                                 again.stderr.strip())

    def runtime_dir(self, account):
        """The student's Jupyter runtime folder, /run/d2lcore/UID, 0700 and theirs. Kernels' Unix sockets
        live there: a socket's path may not exceed 107 bytes, and in ~/.local/share/jupyter/runtime it
        does once the home's path passes 28 characters (/home/ and a name of 23 letters, which the
        hub's names allow)."""
        os.makedirs(self.runtime_root, mode=0o755, exist_ok=True)
        path = os.path.join(self.runtime_root, str(account.pw_uid))
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            if not stat.S_ISDIR(os.lstat(path).st_mode):  # only root writes in runtime_root: not expected
                raise RuntimeError(f"{path} is not a folder: remove it") from None
        os.chown(path, account.pw_uid, account.pw_gid)
        os.chmod(path, 0o700)
        return path

    def instructor_course(self, account):
        """An instructor's ~/course: the class's built assignments, theirs to release and grade."""
        course = os.path.join(account.pw_dir, "course")
        if not self.assignments_template or os.path.exists(course):
            return
        subprocess.run(["cp", "-a", self.assignments_template, course], check=True)
        with open(os.path.join(course, "nbgrader_config.py"), "w") as f:  # nbgrader run in ~/course
            f.write("c = get_config()  # noqa: F821\n"
                    f"c.CourseDirectory.root = {course!r}\n"
                    'c.CourseDirectory.course_id = "d2lcore"\n')
        subprocess.run(["chown", "-R", f"{account.pw_uid}:{account.pw_gid}", course], check=True)
        subprocess.run(["chmod", "-R", "go-rwx", course], check=True)

    def get_env(self):
        env = super().get_env()
        if self.user.admin and self.instructor_config:
            env["JUPYTER_CONFIG_PATH"] = self.instructor_config
        if getattr(self, "_runtime_dir", None):
            env["JUPYTER_RUNTIME_DIR"] = self._runtime_dir
        if self.mem_limit_bytes:  # jupyter-resource-usage shows the use against it in the status bar
            env["MEM_LIMIT"] = str(self.mem_limit_bytes)
        return env

    def memory_cgroup(self):
        """A memory cgroup for this student, its limit set; None where no writable controller exists."""
        if not self.mem_limit_bytes:
            return None
        limit = str(self.mem_limit_bytes)
        if os.access(CGROUP_V1, os.W_OK):
            path = os.path.join(CGROUP_V1, "d2lcore", self.user.name)
            os.makedirs(path, exist_ok=True)
            _write(os.path.join(path, "memory.limit_in_bytes"), limit)
            if os.path.exists(os.path.join(path, "memory.memsw.limit_in_bytes")):  # swap too, where counted
                _write(os.path.join(path, "memory.memsw.limit_in_bytes"), limit)
            return path
        if os.path.exists(os.path.join(CGROUP_V2, "cgroup.controllers")) and os.access(CGROUP_V2, os.W_OK):
            parent = os.path.join(CGROUP_V2, "d2lcore")
            os.makedirs(parent, exist_ok=True)
            _write(os.path.join(CGROUP_V2, "cgroup.subtree_control"), "+memory")
            _write(os.path.join(parent, "cgroup.subtree_control"), "+memory")
            path = os.path.join(parent, self.user.name)
            os.makedirs(path, exist_ok=True)
            _write(os.path.join(path, "memory.max"), limit)
            _write(os.path.join(path, "memory.swap.max"), "0")
            return path
        self.log.warning("no writable memory cgroup: %s's server runs without a memory limit", self.user.name)
        return None

    def make_preexec_fn(self, name):
        drop_privileges = super().make_preexec_fn(name)
        procs = getattr(self, "_cgroup_procs", None)

        def preexec():  # in the new process, still root: join the cgroup, then become the student
            if procs:
                with open(procs, "w") as f:
                    f.write(str(os.getpid()))
            drop_privileges()

        return preexec

    def prepare(self):
        """Everything a server needs before it starts: the account, its quota, its folders, its cgroup.
        Blocking (useradd, btrfs, cp): run in a thread, so that the hub keeps answering meanwhile."""
        account = self.ensure_account()
        self.disk_quota(account)
        if self.user.admin:
            self.instructor_course(account)
        self._runtime_dir = self.runtime_dir(account)
        cgroup = self.memory_cgroup()
        self._cgroup_procs = os.path.join(cgroup, "cgroup.procs") if cgroup else None

    async def start(self):
        self._preparing = True
        try:
            await asyncio.to_thread(self.prepare)
        finally:
            self._preparing = False
        return await super().start()

    async def poll(self):
        # while prepare() runs there is no process yet, and LocalProcessSpawner's poll() would say
        # "stopped": a start slower than the hub's slow_spawn_timeout (10 s; a busy server) then
        # failed with a 500 ("Exception is not set", JupyterHub 5.5)
        if getattr(self, "_preparing", False):
            return None
        return await super().poll()


def _is_btrfs(path):
    found = subprocess.run(["findmnt", "--noheadings", "--output", "FSTYPE", "--target", path],
                           capture_output=True, text=True)
    return found.stdout.strip() == "btrfs"


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)
