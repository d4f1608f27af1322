"""``sencrm up``: the command lines it starts, and one real start on a free port that is then stopped.

The real start uses its own SQLite data dir (never the test database), loads a tiny demo, waits
for the login page, sends SIGTERM and checks that the whole process group is gone.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from io import StringIO

from django.core.management import call_command
from django.utils.module_loading import import_string

from sencrm.core.management.commands.up import child_environment, port_is_free, server_commands


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_commands():
    commands = server_commands(host="127.0.0.1", port=8123, workers=3)
    web, tasks = commands["web"], commands["tasks"]
    assert web[:4] == [sys.executable, "-m", "gunicorn", "sencrm.wsgi:application"]
    assert web[web.index("--bind") + 1] == "127.0.0.1:8123"
    assert web[web.index("--workers") + 1] == "3"
    assert "--access-logfile" not in web
    assert "--no-control-socket" in web
    assert tasks == [sys.executable, "-m", "sencrm", "run_huey", "--quiet"]


def test_children_share_the_data_dir(settings):
    env = child_environment()
    assert env["SENCRM_DATA_DIR"] == str(settings.DATA_DIR)
    assert env["DJANGO_SETTINGS_MODULE"] == "sencrm.settings"


def test_the_start_hooks_exist(settings):
    # settings.SENCRM_UP names functions of higher apps by path: a rename must fail here, not at start.
    for path in [*settings.SENCRM_UP["on_start"], settings.SENCRM_UP["demo_logins"]]:
        assert callable(import_string(path)), path


def test_check_prints_the_plan_and_changes_nothing(settings):
    out = StringIO()
    call_command("up", "--check", "--port", "8123", stdout=out)
    text = out.getvalue()
    assert f"data dir: {settings.DATA_DIR}" in text
    assert "url:      http://127.0.0.1:8123/" in text
    assert "gunicorn sencrm.wsgi:application --bind 127.0.0.1:8123 --workers 2" in text
    assert "-m sencrm run_huey --quiet" in text


def test_port_is_free():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert not port_is_free("127.0.0.1", busy.getsockname()[1])
    assert port_is_free("127.0.0.1", free_port())


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode()


def test_up_serves_the_login_page_and_stops_on_sigterm(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    env |= {"SENCRM_DATA_DIR": str(tmp_path), "PORT": str(port)}
    log = open(tmp_path / "up.log", "w+")  # noqa: SIM115 - read in the assertion messages
    up = subprocess.Popen(
        [sys.executable, "-m", "sencrm", "up", "--demo-size", "0.01"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the finally clause can clean up all of it
    )
    try:
        status, body = None, ""
        deadline = time.monotonic() + 180  # migrations and the demo on a busy 2-core CI machine
        while time.monotonic() < deadline and up.poll() is None:
            with contextlib.suppress(OSError):
                status, body = get(f"http://127.0.0.1:{port}/login/")
                if status == 200:
                    break
            time.sleep(0.5)
        log.seek(0)
        output = log.read()
        assert status == 200, output
        assert "Sen CRM" in body
        assert f"Sen CRM is running at http://127.0.0.1:{port}/" in output
        assert "log in as an.nguyen" in output

        up.send_signal(signal.SIGTERM)
        assert up.wait(timeout=30) == 0
        with contextlib.suppress(ProcessLookupError):
            os.killpg(up.pid, 0)
            time.sleep(1)  # the group may need a moment to be reaped
            os.killpg(up.pid, 0)
            raise AssertionError("processes of `sencrm up` are still running")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(up.pid, signal.SIGKILL)
        up.wait(timeout=10)
        log.close()
