"""The students' servers: JupyterHub's LocalProcessSpawner, with a Unix account per student (as The
Littlest JupyterHub makes them) and a memory limit per student (a cgroup), so that a runaway kernel
is killed instead of the server."""
import grp
import os
import pwd
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

    def ensure_account(self):
        """The student's Unix account, made at their first start: home 0700, in the class's group.
        A name that is already an account outside the group (a system or staff account) is refused."""
        name = self.user.name
        try:
            account = pwd.getpwnam(name)
        except KeyError:
            subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", "--key", "HOME_MODE=0700",
                            "--groups", self.student_group, name], check=True, capture_output=True)
            account = pwd.getpwnam(name)
        else:
            if name not in grp.getgrnam(self.student_group).gr_mem:
                raise NotAStudentError(f"{name!r} is a Unix account outside the group {self.student_group}: "
                                       "the hub runs servers only for students' accounts")
        os.chmod(account.pw_dir, 0o700)  # other students cannot read it, whatever useradd's default
        return account

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

    async def start(self):
        self.ensure_account()
        cgroup = self.memory_cgroup()
        self._cgroup_procs = os.path.join(cgroup, "cgroup.procs") if cgroup else None
        return await super().start()


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)
