"""Scale-out on PostgreSQL + Redis: two web processes and two Huey consumers (docs/SCALING.md).

The module starts, against the PostgreSQL and Redis servers on 127.0.0.1, its own database
(``sen_scaleout_<pid>_<random>``, dropped at the end) and its own queue name in Redis database 5
(``SENCRM_TEST_REDIS_URL`` and ``SENCRM_TEST_POSTGRES_URL`` choose others): two gunicorn servers
started with the command line of ``sencrm up`` and two ``sencrm run_huey`` consumers. It shows that

(a) a session opened on web A works on web B, a record created through A is read through B, and a
    session ended on A (a value deleted from the shared cache) is ended on B too;
(b) 50 tasks are shared between the two consumers, each run exactly once;
(c) a consumer killed (SIGKILL) in the middle of a task does not lose it: the other consumer runs
    it to completion once the dead consumer's heartbeat has expired.

Then in-process checks of ``sencrm.core.queue`` against the same Redis: periodic tasks are enqueued
by one consumer per minute, an interrupted task goes back to the head of the queue, a live
consumer's tasks stay its own, a task that kills its consumer every time ends in the dead list; and
a job whose consumer died is marked failed instead of staying "running". Skipped only when
PostgreSQL or Redis does not answer (the job check needs neither); in CI both do.
"""

import contextlib
import datetime
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie
from types import SimpleNamespace

import psycopg
import pytest
import redis
from django.utils import translation
from huey import crontab
from psycopg import sql

from sencrm.core.management.commands.up import server_commands
from sencrm.core.queue import ReliableRedisHuey, ReliableRedisStorage
from sencrm.core.tests.scale_out_tasks import TABLE_SQL, register

REDIS_URL = os.environ.get("SENCRM_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
HEARTBEAT = 3  # seconds; production default 30 (HUEY_HEARTBEAT_SECONDS)
USERNAME, PASSWORD = "scale", "Sen-scale-2026!"


def postgres_server_url() -> str:
    """The server to create the test database on: the one of DATABASE_URL when it is PostgreSQL."""
    if url := os.environ.get("SENCRM_TEST_POSTGRES_URL"):
        return url
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        return urllib.parse.urlunsplit(urllib.parse.urlsplit(database_url)._replace(path="/postgres"))
    return "postgres://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, *, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# --- a tiny HTTP client: one cookie jar shared by both servers, as behind a load balancer ----------
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


SESSIONS = set()  # every session key handed out, deleted from Redis at the end


class Browser:
    def __init__(self):
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(NoRedirect)

    def request(self, url: str, *, data: dict | None = None, json_body=None, method=None, headers=None):
        headers = dict(headers or {})
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        if body is not None and "csrftoken" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        req = urllib.request.Request(url, data=body, headers=headers, method=method)
        try:
            response = self.opener.open(req, timeout=15)
        except urllib.error.HTTPError as error:  # 3xx (no redirects followed), 4xx, 5xx
            response = error
        with response:
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel.value and morsel["max-age"] != "0":
                        self.cookies[name] = morsel.value
                        if name == "sessionid":
                            SESSIONS.add(morsel.value)
                    else:
                        self.cookies.pop(name, None)
            return response.status, response.headers, response.read().decode()

    def login(self, base: str, username: str, password: str) -> int:
        status, _, page = self.request(f"{base}/login/")
        assert status == 200, page
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, _, _ = self.request(
            f"{base}/login/", data={"csrfmiddlewaretoken": token, "username": username, "password": password}
        )
        return status


# --- the cluster ----------------------------------------------------------------------------------
def redis_unreachable() -> str | None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        return f"Redis not reachable: {error}"
    return None


def postgres_unreachable() -> str | None:
    try:
        with psycopg.connect(postgres_server_url(), connect_timeout=3):
            pass
    except psycopg.Error as error:
        return f"PostgreSQL not reachable: {error}"
    return None


def start(command: list[str], env: dict, log_path) -> subprocess.Popen:
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    process.log = log
    return process


def stop_all(processes: list[subprocess.Popen]) -> None:
    """SIGTERM to every process group at once, then SIGKILL to what is left (gunicorn's workers too)."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        process.log.close()


def logs(cluster) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(cluster.dir.glob("*.log")))


SETUP = f"""
from django.conf import settings
from django.core.management import call_command
from django.utils.module_loading import import_string
from sencrm.core.models import User
from sencrm.core.services.organisation import branch_create
call_command("migrate", interactive=False, verbosity=0)
for hook in settings.SENCRM_UP["on_start"]:  # as `sencrm up` does
    import_string(hook)()
hq = branch_create(name="Trụ sở chính", code="HQ")
User.objects.create_superuser({USERNAME!r}, "scale@example.vn", {PASSWORD!r}, first_name="Quy", branch=hq)
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if reason := postgres_unreachable() or redis_unreachable():
        pytest.skip(reason)
    directory = tmp_path_factory.mktemp("scale-out")
    db_name = f"sen_scaleout_{os.getpid()}_{secrets.token_hex(3)}"
    server = postgres_server_url()
    database_url = urllib.parse.urlunsplit(urllib.parse.urlsplit(server)._replace(path=f"/{db_name}"))
    queue_name = f"sen-scaleout-{secrets.token_hex(4)}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db_name)))
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "HUEY_IMMEDIATE", "PORT"}}
    env |= {
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "HUEY_NAME": queue_name,
        "HUEY_HEARTBEAT_SECONDS": str(HEARTBEAT),
        "SECRET_KEY": secrets.token_urlsafe(50),  # the same on every machine
        "SENCRM_DATA_DIR": str(directory),
        "DJANGO_SETTINGS_MODULE": "sencrm.settings",
        "PYTHONUNBUFFERED": "1",
    }
    processes: list[subprocess.Popen] = []
    storage = ReliableRedisStorage(queue_name, url=REDIS_URL)
    try:
        # Migrations and static files at once; the web servers as soon as the static files are
        # collected (whitenoise lists them when it starts), the consumers after the migrations (their
        # scheduler enqueues the every-minute reminders task as it starts).
        sencrm = [sys.executable, "-m", "sencrm"]
        setup = start([*sencrm, "shell", "-c", SETUP], env, directory / "setup.log")
        static = start([*sencrm, "collectstatic", "--noinput", "-v0"], env, directory / "static.log")
        processes += [setup, static]
        ports = [free_port(), free_port()]
        assert static.wait(timeout=120) == 0, (directory / "static.log").read_text()
        for name, port in [("web-a", ports[0]), ("web-b", ports[1])]:
            web = server_commands(host="127.0.0.1", port=port, workers=1)["web"]
            processes.append(start(web, env, directory / f"{name}.log"))
        assert setup.wait(timeout=120) == 0, (directory / "setup.log").read_text()
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(TABLE_SQL)
        tasks = server_commands(host="127.0.0.1", port=0, workers=1)["tasks"]
        for name in ("consumer-1", "consumer-2"):
            processes.append(start(tasks, env | {"SENCRM_SCALE_OUT_PROBES": "1"}, directory / f"{name}.log"))

        cluster = SimpleNamespace(
            dir=directory,
            a=f"http://127.0.0.1:{ports[0]}",
            b=f"http://127.0.0.1:{ports[1]}",
            consumers=processes[4:],
            database_url=database_url,
            storage=storage,
            redis=storage.conn,
        )

        def serving(base):
            with contextlib.suppress(OSError):
                return Browser().request(f"{base}/login/")[0] == 200

        def consumers_beating():
            assert all(p.poll() is None for p in processes[2:]), logs(cluster)
            pids = {
                int(storage.conn.get(storage.heartbeat_key(c.decode())) or 0) for c in consumer_ids(cluster)
            }
            return pids == {p.pid for p in cluster.consumers}

        wait_for(lambda: serving(cluster.a) and serving(cluster.b), timeout=60, what="both web servers")
        wait_for(consumers_beating, timeout=60, what="both consumers' heartbeats")
        yield cluster
    finally:
        stop_all(processes)
        keys = list(storage.conn.scan_iter(f"huey.*.{storage.name}*"))
        keys += [f":1:django.contrib.sessions.cache{key}" for key in SESSIONS]
        if keys:
            storage.conn.delete(*keys)
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db_name)))


def consumer_ids(cluster) -> set[bytes]:
    return cluster.storage.conn.smembers(cluster.storage.consumers_key)


def runs(cluster, numbers) -> list[tuple[int, int, str, int]]:
    with psycopg.connect(cluster.database_url, autocommit=True) as conn:
        return conn.execute(
            "SELECT number, pid, phase, delivery FROM scale_out_run WHERE number = ANY(%s) ORDER BY id",
            [list(numbers)],
        ).fetchall()


# --- (a) web processes share sessions, records and the cache ---------------------------------------
def test_cluster_a_change_made_through_one_web_process_is_seen_through_the_other(cluster):
    browser = Browser()
    assert browser.login(cluster.a, USERNAME, "wrong password") == 200  # the form again, no session
    assert "sessionid" not in browser.cookies

    assert browser.login(cluster.a, USERNAME, PASSWORD) == 302
    session = browser.cookies["sessionid"]
    # The session lives in Redis (cache backend), not in the database nor in web A's memory…
    assert cluster.redis.exists(f":1:django.contrib.sessions.cache{session}")
    with psycopg.connect(cluster.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM django_session").fetchone()[0] == 0
    # … so web B knows the user.
    status, _, me = browser.request(f"{cluster.b}/api/v1/me")
    assert status == 200, me
    assert json.loads(me)["username"] == USERNAME

    # A record created through A is read through B, changed through B and read again through A.
    status, _, body = browser.request(
        f"{cluster.a}/api/v1/contacts",
        json_body={"full_name": "Nguyễn Văn Mở", "email": "mr@example.vn"},
    )
    assert status == 201, body
    contact_id = json.loads(body)["id"]
    status, _, body = browser.request(f"{cluster.b}/api/v1/contacts/{contact_id}")
    assert status == 200, body
    assert json.loads(body)["email"] == "mr@example.vn"
    status, _, body = browser.request(
        f"{cluster.b}/api/v1/contacts/{contact_id}", json_body={"email": "mr2@example.vn"}, method="PATCH"
    )
    assert status == 200, body
    status, _, body = browser.request(f"{cluster.a}/api/v1/contacts/{contact_id}")
    assert json.loads(body)["email"] == "mr2@example.vn"
    status, _, page = browser.request(f"{cluster.b}/contacts/{contact_id}/")
    assert status == 200 and "Nguyễn Văn Mở" in page

    # Ending the session on A deletes it from the cache: B refuses it at once.
    status, _, _ = browser.request(
        f"{cluster.a}/logout/", data={"csrfmiddlewaretoken": browser.cookies["csrftoken"]}
    )
    assert status == 302
    assert not cluster.redis.exists(f":1:django.contrib.sessions.cache{session}")
    replay = Browser()
    replay.cookies = {"sessionid": session}
    assert replay.request(f"{cluster.b}/api/v1/me")[0] == 401
    status, headers, _ = replay.request(f"{cluster.b}/contacts/")
    assert status == 302 and "/login/" in headers["Location"]


# --- (b) tasks are shared between the consumers, each run exactly once ----------------------------
def test_cluster_b_tasks_are_shared_between_consumers_and_each_runs_exactly_once(cluster):
    huey = ReliableRedisHuey(cluster.storage.name, url=REDIS_URL)  # what a web process enqueues with
    probe = register(huey)
    numbers = range(50)
    for number in numbers:
        probe(number, 0.05)

    wait_for(
        lambda: sum(1 for r in runs(cluster, numbers) if r[2] == "done") >= 50,
        timeout=30,
        what="50 tasks done",
    )
    time.sleep(0.5)  # a duplicate, if any, would show up now
    rows = runs(cluster, numbers)
    done = [(number, pid) for number, pid, phase, _ in rows if phase == "done"]
    started = [number for number, _, phase, _ in rows if phase == "start"]
    assert sorted(n for n, _ in done) == list(numbers)  # none missing, none twice
    assert sorted(started) == list(numbers)
    by_consumer = {p.pid: sum(1 for _, pid in done if pid == p.pid) for p in cluster.consumers}
    assert {pid for _, pid in done} <= set(by_consumer), "a task ran outside the two consumers"
    assert all(count > 0 for count in by_consumer.values()), by_consumer
    assert all(delivery == 0 for *_, delivery in rows)
    assert cluster.redis.llen(cluster.storage.queue_key) == 0
    assert cluster.storage.in_flight() == 0  # every message acknowledged


# --- (c) a consumer killed mid-task does not lose it ------------------------------------------------
def test_cluster_c_a_task_of_a_consumer_killed_mid_task_is_run_by_the_other(cluster):
    huey = ReliableRedisHuey(cluster.storage.name, url=REDIS_URL)
    probe = register(huey)
    probe(1000, 3.0)

    started = wait_for(lambda: runs(cluster, [1000]), timeout=20, what="the long task to start")
    victim_pid = started[0][1]
    victim = next(p for p in cluster.consumers if p.pid == victim_pid)
    survivor = next(p for p in cluster.consumers if p.pid != victim_pid)
    victim_id = next(
        c.decode()
        for c in consumer_ids(cluster)
        if int(cluster.redis.get(cluster.storage.heartbeat_key(c.decode())) or 0) == victim_pid
    )
    assert cluster.redis.llen(cluster.storage.processing_key(victim_id)) == 1  # taken, not acknowledged
    os.kill(victim_pid, signal.SIGKILL)
    victim.wait(timeout=10)

    killed_at = time.monotonic()
    wait_for(
        lambda: any(phase == "done" for _, _, phase, _ in runs(cluster, [1000])),
        timeout=30,
        what="the other consumer to finish the task",
    )
    recovered_in = time.monotonic() - killed_at
    time.sleep(0.5)
    rows = runs(cluster, [1000])
    assert rows == [
        (1000, victim_pid, "start", 0),  # killed before "done"
        (1000, survivor.pid, "start", 1),  # re-delivered once …
        (1000, survivor.pid, "done", 1),  # … and run to completion, once
    ], rows
    # Re-queued after the heartbeat expired (3 s), then 3 s of work: well under the timeout.
    assert HEARTBEAT < recovered_in < 25, recovered_in
    assert not cluster.redis.exists(cluster.storage.processing_key(victim_id))
    assert victim_id.encode() not in consumer_ids(cluster)
    assert cluster.redis.hlen(cluster.storage.redeliveries_key) == 0
    assert cluster.storage.in_flight() == 0
    assert survivor.poll() is None


# --- sencrm.core.queue in-process, against the same Redis ------------------------------------------
@pytest.fixture
def make_huey():
    """``make_huey(**options)``: a ReliableRedisHuey on a fresh queue, cleaned up after the test."""
    if reason := redis_unreachable():
        pytest.skip(reason)
    name = f"senscaleoutunit{secrets.token_hex(4)}"
    made: list[ReliableRedisHuey] = []

    def make(**options) -> ReliableRedisHuey:
        huey = ReliableRedisHuey(name, url=REDIS_URL, **options)
        huey.plain = huey.task(name="plain")(lambda number: number)
        made.append(huey)
        return huey

    yield make
    for huey in made:
        huey.storage.stop_heartbeat()
    conn = redis.Redis.from_url(REDIS_URL)
    keys = list(conn.scan_iter(f"huey.*.{name}*"))
    if keys:
        conn.delete(*keys)


def die(huey: ReliableRedisHuey) -> None:
    """What SIGKILL does to a consumer, as far as Redis sees it: no more heartbeat."""
    huey.storage.stop_heartbeat()
    huey.storage.conn.delete(huey.storage.heartbeat_key(huey.storage.consumer_id))


def test_periodic_tasks_are_enqueued_by_one_consumer_per_minute(make_huey):
    hueys = [make_huey() for _ in range(3)]
    for huey in hueys:
        huey.periodic_task(crontab(minute="*"), name="every_minute")(lambda: None)
    minute = datetime.datetime(2026, 11, 22, 2, 30, 5)  # noqa: DTZ001 - Huey's clock is naive UTC
    assert sorted(len(h.read_periodic(minute)) for h in hueys) == [0, 0, 1]
    # The same minute seconds later (another scheduler's clock): nobody enqueues it again.
    assert [len(h.read_periodic(minute + datetime.timedelta(seconds=40))) for h in hueys] == [0, 0, 0]
    # The next minute is due again, once.
    assert sum(len(h.read_periodic(minute + datetime.timedelta(minutes=1))) for h in hueys) == 1
    # A minute with nothing due claims nothing.
    hourly = make_huey()
    hourly.periodic_task(crontab(minute="0"), name="hourly")(lambda: None)
    assert hourly.read_periodic(minute.replace(hour=3, minute=45)) == []
    assert not hourly.storage.conn.exists(f"huey.periodic.{hourly.storage.name}.202611220345")


def test_a_finished_task_is_acknowledged(make_huey):
    huey = make_huey()
    result = huey.plain(1)
    task = huey.dequeue()
    assert huey.storage.in_flight() == 1 and huey.storage.queue_size() == 0
    huey.execute(task)
    assert result.get() == 1
    assert huey.storage.in_flight() == 0 and huey.storage.queue_size() == 0


def test_an_interrupted_task_goes_back_to_the_head_of_the_queue(make_huey):
    huey = make_huey()
    huey.plain(1)
    huey.plain(2)
    task = huey.dequeue()
    assert task.args[0] == 1
    assert huey.storage.in_flight() == 1
    huey._emit("interrupted", task)  # what the consumer does for a task cut short by SIGTERM
    assert huey.storage.in_flight() == 0
    assert huey.storage.queue_size() == 2
    assert huey.dequeue().args[0] == 1  # first again, before task 2


def test_a_live_consumer_keeps_its_tasks_and_a_dead_ones_are_requeued(make_huey):
    huey, other = make_huey(), make_huey()
    huey.plain(1)
    assert huey.dequeue() is not None
    assert other.storage.requeue_dead() == 0  # heartbeat alive: nothing moved
    assert huey.storage.in_flight() == 1 and huey.storage.queue_size() == 0
    die(huey)
    assert other.storage.requeue_dead() == 1
    assert other.storage.requeue_dead() == 0  # moved once, not twice
    assert huey.storage.in_flight() == 0 and huey.storage.queue_size() == 1
    assert other.dequeue() is not None and other.delivery_count() == 1


def test_a_task_that_kills_every_consumer_ends_in_the_dead_list(make_huey):
    (first := make_huey(max_redeliveries=2)).plain(7)
    rescuer = make_huey(max_redeliveries=2)
    for delivery in range(3):
        consumer = make_huey(max_redeliveries=2)
        assert consumer.dequeue() is not None
        assert consumer.delivery_count() == delivery
        die(consumer)
        assert rescuer.storage.requeue_dead() == 1
    assert first.dequeue() is None  # the third re-delivery is one too many
    assert first.storage.conn.llen(first.storage.dead_key) == 1
    assert first.storage.queue_size() == 0 and first.storage.in_flight() == 0


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="heartbeat_seconds"):
        ReliableRedisStorage("x", url=REDIS_URL, heartbeat_seconds=0)


def test_a_job_whose_consumer_died_is_failed_not_left_running(org, monkeypatch):
    from sencrm.core.models import Job
    from sencrm.core.services import jobs

    job = jobs.job_create(user=org.alice, kind=Job.Kind.EXPORT, entity="crm.contact")
    assert jobs.job_start(job.pk) is not None  # first delivery: claimed
    assert jobs.job_start(job.pk) is None  # a duplicate first delivery: nothing, the job runs
    assert Job.objects.get(pk=job.pk).status == Job.Status.RUNNING

    monkeypatch.setattr(jobs, "delivery_count", lambda: 1)  # re-delivered: its consumer died
    with translation.override("en"):
        assert jobs.job_start(job.pk) is None
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.finished_at is not None
    assert "stopped before the end" in job.message

    done = jobs.job_create(user=org.alice, kind=Job.Kind.EXPORT, entity="crm.contact")
    jobs.job_finish(done.pk)
    assert jobs.job_start(done.pk) is None  # a finished job stays finished
    assert Job.objects.get(pk=done.pk).status == Job.Status.DONE
