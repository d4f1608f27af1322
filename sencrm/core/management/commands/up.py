"""``sencrm up``: prepare the database and serve Sen CRM with its task consumer (``make up``).

Steps: ``migrate``, ``collectstatic`` (whitenoise serves the hashed, compressed copies), the demo
company on the first run (no users yet), the start hooks of ``settings.SENCRM_UP`` (e.g. the
default pipeline), then two child processes:

- **gunicorn** serving ``sencrm.wsgi:application`` on ``127.0.0.1:$PORT`` (never ``runserver``:
  what users run is what we measure), and
- the **Huey consumer** (``sencrm run_huey``) for background and periodic tasks.

SIGINT/SIGTERM are forwarded to both; when either exits, the other is stopped and ``up`` exits.
Children also get SIGTERM from the kernel if ``up`` itself dies (Linux ``PR_SET_PDEATHSIG``), so a
killed ``up`` leaves nothing behind.

``core`` must not import the apps above it, so what ``up`` needs from them is named in
``settings.SENCRM_UP`` and the demo is loaded through its management command.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils.module_loading import import_string

STOP_TIMEOUT = 15  # seconds a child gets to finish its work after the stop signal
READY_TIMEOUT = 60


def server_commands(*, host: str, port: int, workers: int) -> dict[str, list[str]]:
    """The command lines of the web server and the task consumer, by name."""
    web = [
        sys.executable, "-m", "gunicorn", "sencrm.wsgi:application",
        "--bind", f"{host}:{port}",
        "--workers", str(workers),
        "--graceful-timeout", "10",
        "--log-level", "warning",  # no access log; errors and warnings only
        # gunicorn's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl):
        # two instances (a test, CI and a developer's) would fight over it.
        "--no-control-socket",
    ]  # fmt: skip
    if Path("/dev/shm").is_dir():
        web += ["--worker-tmp-dir", "/dev/shm"]  # worker heartbeats in memory, not on disk
    worker = [sys.executable, "-m", "sencrm", "run_huey", "--quiet"]
    return {"web": web, "tasks": worker}


def child_environment() -> dict[str, str]:
    """The children see the same data dir and settings as ``up``, whatever their working dir."""
    env = dict(os.environ)
    env["SENCRM_DATA_DIR"] = str(settings.DATA_DIR)
    env["DJANGO_SETTINGS_MODULE"] = os.environ.get("DJANGO_SETTINGS_MODULE", "sencrm.settings")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to send SIGTERM to this child when ``up`` dies, however it dies."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def static_files_current() -> bool:
    """True when collectstatic's manifest is newer than every file the finders would collect.

    Whitenoise compresses every file on each collectstatic (seconds); a restart with unchanged
    static files (same checkout, same installed packages) skips it.
    """
    from django.contrib.staticfiles.finders import get_finders

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            if os.path.getmtime(storage.path(path)) >= built:
                return False
    return True


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def port_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Command(BaseCommand):
    help = (
        "Migrate, collect static files, load the demo company on the first run, then serve Sen CRM "
        "with gunicorn on 127.0.0.1:$PORT and run the Huey task consumer until interrupted."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="Address to bind (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=settings.PORT, help="Port (default $PORT or 8000).")
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("WEB_CONCURRENCY", "2")),
            help="gunicorn worker processes (default $WEB_CONCURRENCY or 2).",
        )
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo company.")
        parser.add_argument(
            "--demo-size",
            type=float,
            default=1.0,
            help="Size of the demo loaded on the first run (default 1).",
        )
        parser.add_argument(
            "--check", action="store_true", help="Print what would run and exit, changing nothing."
        )

    def handle(self, *args, host, port, workers, no_demo, demo_size, check, verbosity=1, **options):
        commands = server_commands(host=host, port=port, workers=workers)
        if check:
            self.describe(commands, host=host, port=port)
            return
        if not port_is_free(host, port):
            raise CommandError(f"Port {port} on {host} is in use. Stop the other server or set PORT=….")
        self.prepare(demo=not no_demo, demo_size=demo_size)
        self.serve(commands, host=host, port=port)

    # --- steps ------------------------------------------------------------------------------------
    def describe(self, commands: dict[str, list[str]], *, host: str, port: int) -> None:
        db = settings.DATABASES["default"]
        self.stdout.write(f"data dir: {settings.DATA_DIR}")
        self.stdout.write(f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}")
        self.stdout.write(f"tasks:    {settings.HUEY['huey_class']}")
        self.stdout.write(f"url:      http://{host}:{port}/")
        for name, command in commands.items():
            self.stdout.write(f"{name}: {subprocess.list2cmdline(command)}")

    def prepare(self, *, demo: bool, demo_size: float) -> None:
        from sencrm.core.models import User

        self.stdout.write("Migrating the database…")
        call_command("migrate", interactive=False, verbosity=0)
        if not settings.DEBUG and not static_files_current():
            self.stdout.write("Collecting static files…")
            call_command("collectstatic", interactive=False, verbosity=0)
        if demo and not User.objects.exists():
            self.stdout.write("First run: loading the demo company…")
            call_command("demo", size=demo_size, stdout=self.stdout, stderr=self.stderr)
        for hook in settings.SENCRM_UP["on_start"]:
            import_string(hook)()

    def serve(self, commands: dict[str, list[str]], *, host: str, port: int) -> None:
        env = child_environment()
        children: dict[str, subprocess.Popen] = {}
        stopping: list[int] = []

        def forward(signum, frame):
            stopping.append(signum)
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signum)

        previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for name, command in commands.items():
                children[name] = subprocess.Popen(command, env=env, preexec_fn=_die_with_parent)
            logins = import_string(settings.SENCRM_UP["demo_logins"])()  # while the servers boot
            connections.close_all()  # this process only supervises from now on
            self.wait_ready(children, host, port, stopping)
            if not stopping and all(c.poll() is None for c in children.values()):
                self.banner(host, port, logins)
            while not stopping:
                exited = [(n, c.returncode) for n, c in children.items() if c.poll() is not None]
                if exited:
                    name, code = exited[0]
                    self.stderr.write(f"{name} exited with code {code}; stopping.")
                    forward(signal.SIGTERM, None)
                    self.stop(children)
                    raise CommandError(f"{name} exited with code {code}.", returncode=1)
                time.sleep(0.2)
            self.stop(children)
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.kill()
                    child.wait()
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def wait_ready(self, children, host: str, port: int, stopping: list[int]) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline and not stopping:
            if any(c.poll() is not None for c in children.values()) or port_answers(host, port):
                return
            time.sleep(0.2)

    def stop(self, children: dict[str, subprocess.Popen]) -> None:
        """Wait for the children to finish after a stop signal; kill those that do not."""
        deadline = time.monotonic() + STOP_TIMEOUT
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

    def banner(self, host: str, port: int, logins: list[tuple[str, str, str]]) -> None:
        url = f"http://{host}:{port}/"
        lines = ["", self.style.SUCCESS(f"Sen CRM is running at {url}")]
        for username, password, who in logins:
            lines.append(f"  log in as {username:<10} password {password}   ({who})")
        if not logins:
            lines.append("  log in with your user name and password (sencrm createsuperuser makes one)")
        lines += ["  API docs: " + url + "api/v1/docs", "Press Ctrl+C to stop.", ""]
        self.stdout.write("\n".join(lines))
