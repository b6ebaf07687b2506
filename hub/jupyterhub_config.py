"""JupyterHub for a class on one server: `./course hub` starts JupyterHub with this file.

What each part is for (docs/class-server.md says more):
- students are real Unix users (group d2lstudents, home 0700): one cannot read another's files;
- NativeAuthenticator: a student signs up with the name on the instructor's roster and a password
  of their own; the instructor (admin) authorises each sign-up at /hub/authorize;
- each student's lessons are their own copy (~/d2lcore), made at their first start and updated from
  the course at every start by nbgitpuller, whose merge keeps their own changes;
- Fashion-MNIST is read from one shared, read-only folder (D2L_DATA_DIR), never copied per student;
- one PyTorch thread per kernel (kernels on a shared server oversubscribe the cores: docs/benchmarks.md);
- a memory limit per student (a cgroup): a runaway kernel is killed, not the server;
- a disk quota per student where their homes are on btrfs: a full home stops only its student;
- idle servers are stopped by jupyterhub-idle-culler, idle kernels by the server itself;
- graded assignments on nbgrader: students fetch, validate and submit through one exchange folder,
  the instructor (an admin) grades in formgrader, in ~/course (docs/assignments.md).

Every path and setting comes from the environment `./course hub` sets (D2L_HUB_*), so this file is
the same on every server.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from class_spawner import ClassSpawner  # noqa: E402

c = get_config()  # noqa: F821 (JupyterHub's config loader defines it)
env = os.environ
home = env["D2L_HUB_DIR"]  # the class's files: its Python environment, the course mirror, the data
state = env.get("D2L_HUB_STATE", os.path.join(home, "state"))  # the hub's database and secrets (root only)

c.JupyterHub.bind_url = env.get("D2L_HUB_URL", "http://127.0.0.1:8000")
c.JupyterHub.hub_ip = "127.0.0.1"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env.get('D2L_HUB_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.command = [env["D2L_HUB_PROXY"]]
c.JupyterHub.hub_port = int(env.get("D2L_HUB_PORT", "8081"))
c.JupyterHub.db_url = f"sqlite:///{os.path.join(state, 'jupyterhub.sqlite')}"
c.JupyterHub.cookie_secret_file = os.path.join(state, "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = os.path.join(state, "jupyterhub-proxy.pid")
if env.get("D2L_HUB_SSL_CERT"):  # a public address: TLS at the hub (docs/class-server.md)
    c.JupyterHub.ssl_cert = env["D2L_HUB_SSL_CERT"]
    c.JupyterHub.ssl_key = env["D2L_HUB_SSL_KEY"]
# a restarted hub finds the students' servers still running, with their kernels and files
c.JupyterHub.cleanup_servers = False
c.JupyterHub.cleanup_proxy = False

# --- who logs in
c.JupyterHub.authenticator_class = "nativeauthenticator.NativeAuthenticator"
admins = {name for name in env.get("D2L_HUB_ADMINS", "").split(",") if name}
c.Authenticator.admin_users = admins
roster = [line.strip() for line in open(env["D2L_HUB_ROSTER"])] if env.get("D2L_HUB_ROSTER") else []
roster = {name for name in roster if name and not name.startswith("#")}
if roster:
    c.Authenticator.allowed_users = roster | admins
else:
    c.Authenticator.allow_all = True  # anyone who signs up and whom the instructor authorises
c.NativeAuthenticator.open_signup = False  # every sign-up waits for the instructor's authorisation
c.NativeAuthenticator.minimum_password_length = 8
c.NativeAuthenticator.check_common_password = True
# names become Unix accounts: lower-case letters, digits, "-" and "_", starting with a letter
c.Authenticator.username_pattern = r"^[a-z][a-z0-9_-]{0,30}$"
# d2lgrader: the account ./course grade runs submissions as (scripts/grade.py), never a person's
c.Authenticator.blocked_users = {"root", "admin", "nobody", "daemon", "bin", "sys", "sync", "www-data", "d2lgrader"}

# --- each student's server
c.JupyterHub.spawner_class = ClassSpawner
c.ClassSpawner.student_group = env.get("D2L_HUB_GROUP", "d2lstudents")
c.ClassSpawner.mem_limit_bytes = int(float(env.get("D2L_HUB_MEM_LIMIT_GB", "3")) * 2**30)
c.ClassSpawner.instructor_config = os.path.join(home, "instructor")  # formgrader: instructors only
c.ClassSpawner.assignments_template = os.path.join(home, "assignments")  # ./course assignments, built
c.ClassSpawner.home_root = env.get("D2L_HUB_HOME_ROOT", "")  # the students' homes ('': /home)
c.ClassSpawner.disk_quota_bytes = int(float(env.get("D2L_HUB_DISK_QUOTA_GB", "2")) * 2**30)  # where on btrfs
c.Spawner.cmd = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "start-student")]
c.Spawner.default_url = "/lab/tree/d2lcore/notebooks"
c.Spawner.environment = {
    "D2L_HUB_COURSE_REPO": env["D2L_HUB_COURSE_REPO"],  # the course, mirrored for nbgitpuller
    "D2L_HUB_BRANCH": env.get("D2L_HUB_BRANCH", "main"),
    "D2L_DATA_DIR": env["D2L_DATA_DIR"],  # Fashion-MNIST, shared and read-only
    "OMP_NUM_THREADS": env.get("D2L_HUB_THREADS", "1"),  # docs/benchmarks.md: threads on a busy machine
    "MKL_NUM_THREADS": env.get("D2L_HUB_THREADS", "1"),
    "PATH": f"{os.path.join(home, 'venv', 'bin')}:/usr/local/bin:/usr/bin:/bin",
}
# how often a server's and the proxy's activity reach the hub (what the culler judges idleness by)
activity = int(env.get("D2L_HUB_ACTIVITY_INTERVAL", "300"))
c.JupyterHub.last_activity_interval = activity
c.Spawner.environment["JUPYTERHUB_ACTIVITY_INTERVAL"] = str(activity)
c.Spawner.ip = "127.0.0.1"
# several servers starting at once on a small, busy server take longer than the default 30-60 s
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300

# --- idle servers stopped, so that their memory comes back
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                f"--timeout={env.get('D2L_HUB_CULL_TIMEOUT', '3600')}", f"--cull-every={env.get('D2L_HUB_CULL_EVERY', '300')}"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "description": "Stops servers idle for longer than the timeout",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}]
if env.get("D2L_HUB_API_TOKEN"):  # the load test's service: creates students and drives their servers
    c.JupyterHub.services.append({"name": "d2l-loadtest", "api_token": env["D2L_HUB_API_TOKEN"]})
    c.JupyterHub.load_roles.append({"name": "d2l-loadtest", "scopes": ["admin:users", "admin:servers", "tokens",
                                                                        "access:servers", "list:users",
                                                                        "read:users"],
                                    "services": ["d2l-loadtest"]})
