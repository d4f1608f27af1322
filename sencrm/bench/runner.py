"""``sencrm bench run``: serve a fresh copy of the data set like ``make up`` and measure it.

Per engine: copy the cached data set, start ``sencrm up --no-demo`` on it (gunicorn with the
production settings and the Huey consumer, exactly what ``make up`` runs), log in once, then
for each scenario a short warm-up and ``wrk`` at concurrency 1 and 16; then an import and an
export through the API, and the peak RSS (VmHWM) of the web workers and the task consumer.
Results go to a JSON file and the table of docs/BENCHMARKS.md.
"""

import csv
import io
import json
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import django

from sencrm.bench import report
from sencrm.bench.dataset import ENGINES, Copy, DataSets, _pg_admin, bench_dir
from sencrm.bench.generate import BENCH_PASSWORD, BENCH_TOKEN, parse_size
from sencrm.bench.load import Client, run_wrk, wrk_available
from sencrm.bench.scenarios import Scenario, build_scenarios

CONCURRENCY = (1, 16)
REP_USERNAME = "an.nguyen"
ADMIN_USERNAME = "admin"


# ---------------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------------


class Server:
    """``sencrm up --no-demo`` on a copy, in its own process group; stopped (only it) on exit."""

    def __init__(self, copy: Copy, port: int, log):
        self.copy, self.port, self.log = copy, port, log
        self.process: subprocess.Popen | None = None
        self.log_path = copy.data_dir / "server.log"

    def __enter__(self) -> "Server":
        command = [sys.executable, "-m", "sencrm", "up", "--no-demo", "--port", str(self.port)]
        self.process = subprocess.Popen(
            command,
            env=self.copy.env(),
            stdout=self.log_path.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        client = Client(self.port)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log_path.read_text()[-2000:]}")
            try:
                if client.request("GET", "/healthz", timeout=2)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError("the server did not answer within 300 s")

    def __exit__(self, *exc) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    # --- memory --------------------------------------------------------------------------------------
    def peak_rss(self) -> dict[str, list[float]]:
        """VmHWM (MB) of the web workers and of the task consumer, by role."""
        children: dict[int, list[int]] = {}
        commands: dict[int, str] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                commands[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
        out: dict[str, list[float]] = {"web": [], "tasks": []}
        for pid in children.get(self.process.pid, []):
            command = commands.get(pid, "")
            if "gunicorn" in command:
                out["web"] += [_vmhwm(worker) for worker in children.get(pid, [])]
            elif "run_huey" in command:
                out["tasks"].append(_vmhwm(pid))
        return out


def free_port(first: int) -> int:
    """``first``, or the next port after it nobody listens on."""
    from sencrm.core.management.commands.up import port_is_free

    for port in range(first, first + 100):
        if port_is_free("127.0.0.1", port):
            return port
    raise RuntimeError(f"no free port from {first}")


def _vmhwm(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


# ---------------------------------------------------------------------------------------------------
# Context, machine
# ---------------------------------------------------------------------------------------------------


def copy_context(copy: Copy) -> dict:
    """Ids the scenarios need (stages, users), read from the copy by a child process."""
    done = subprocess.run(
        [sys.executable, "-m", "sencrm", "bench", "context"],
        env=copy.env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine_info() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kb = 0
    pg = ""
    try:
        with _pg_admin() as conn:
            pg = conn.execute("SHOW server_version").fetchone()[0]
    except Exception:  # noqa: BLE001 - no PostgreSQL server: the SQLite figures still stand
        pg = "unavailable"
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg,
        "web_workers": int(os.environ.get("WEB_CONCURRENCY", "2")),
        "load_average_at_start": list(os.getloadavg()),
    }


# ---------------------------------------------------------------------------------------------------
# Import and export
# ---------------------------------------------------------------------------------------------------


def import_csv(rows: int, start: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["family_name", "middle_name", "given_name", "mobile", "email", "job_title"])
    for i in range(rows):
        n = start + i
        writer.writerow(["Lê", "Thị", f"Nhập{n}", f"070{n:07d}", f"nhap{n}@example.vn", "Kế toán viên"])
    return out.getvalue().encode()


def wait_job(client: Client, path: str, timeout: float) -> tuple[dict, float]:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        status, job = client.json("GET", path)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
        if job["status"] in {"done", "failed"}:
            return job, time.monotonic() - started
        time.sleep(0.2)
    raise RuntimeError(f"{path} did not finish within {timeout} s")


def measure_import(client: Client, rows: int) -> dict:
    mapping = {h: h for h in ("family_name", "middle_name", "given_name", "mobile", "email", "job_title")}
    started = time.monotonic()
    status, job = client.multipart(
        "/api/v1/imports",
        {"entity": "crm.contact", "mapping": json.dumps(mapping), "match": "create"},
        "bench.csv",
        import_csv(rows, 3_000_000),
    )
    if status != 202:
        raise RuntimeError(f"POST /api/v1/imports answered {status}: {job}")
    job, _waited = wait_job(client, f"/api/v1/imports/{job['id']}", 1800)
    seconds = time.monotonic() - started
    return {
        "rows": rows,
        "status": job["status"],
        "counts": job["counts"],
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds, 1),
    }


def measure_export(client: Client, query: str) -> dict:
    started = time.monotonic()
    status, data, headers = client.request("GET", f"/api/v1/contacts/export?{query}", timeout=1800)
    if status == 200:
        rows = max(0, data.decode("utf-8-sig").count("\n") - 1)
        job = {"status": "done", "mode": "inline"}
    elif status == 202:
        job_id = json.loads(data)["job"]
        job, _waited = wait_job(client, f"/api/v1/jobs/{job_id}", 1800)
        rows = job["total"]
        job["mode"] = "job"
    else:
        raise RuntimeError(f"export answered {status}: {data[:300]!r}")
    seconds = time.monotonic() - started
    return {
        "query": query,
        "rows": rows,
        "status": job["status"],
        "mode": job["mode"],
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds, 1) if seconds else 0.0,
    }


# ---------------------------------------------------------------------------------------------------
# One engine, all engines
# ---------------------------------------------------------------------------------------------------


def run_engine(sets: DataSets, engine: str, options: dict, log) -> dict:
    quick = options["quick"]
    duration = options.get("duration") or (2.0 if quick else 15.0)
    build = sets.build(engine)
    copy = sets.copy(engine)
    context = copy_context(copy)
    scenarios = build_scenarios(build["counts"], context)
    if options.get("only"):
        scenarios = [s for s in scenarios if s.name in options["only"] or s.name == "ceiling"]
    result: dict = {"build": build, "scenarios": [], "database": copy.database_url}
    workdir = copy.data_dir / "wrk"
    workdir.mkdir(exist_ok=True)
    port = free_port(options["port"] + (0 if engine == "sqlite" else 1))
    with Server(copy, port, log) as server:
        client = Client(port)
        session = client.login(ADMIN_USERNAME, BENCH_PASSWORD)
        rep = Client(port).login(REP_USERNAME, BENCH_PASSWORD)
        auth = {
            "none": {},
            "session": session,
            "rep": rep,
            "token": {"Authorization": f"Bearer {BENCH_TOKEN}"},
        }
        base = 1_000_000
        for scenario in scenarios:
            headers = dict(auth[scenario.auth])
            if scenario.content_type:
                headers["Content-Type"] = scenario.content_type
            row = {
                "name": scenario.name,
                "title": scenario.title,
                "group": scenario.group,
                "api": scenario.is_api,
            }
            row["target_p95_ms"], row["target_rps"] = scenario.p95_ms, scenario.rps
            common = {"port": port, "workdir": workdir}
            run_wrk(
                scenario, headers, connections=2, seconds=1 if quick else 3, base=base, **common
            )  # warm-up
            base += 200_000
            for connections in CONCURRENCY:
                figures = run_wrk(
                    scenario, headers, connections=connections, seconds=duration, base=base, **common
                )
                base += 200_000
                row[f"c{connections}"] = figures
                log(
                    f"{engine} {scenario.name:<26} c={connections:<2} {figures['rps']:>8.1f} req/s  "
                    f"p50 {figures['p50_ms']:>7.2f}  p95 {figures['p95_ms']:>7.2f}  "
                    f"p99 {figures['p99_ms']:>7.2f} ms"
                    f"  errors {figures['errors']}"
                    + (f" (status {figures['unexpected_status']})" if figures["unexpected_status"] else "")
                )
            result["scenarios"].append(row)
        token_client = Client(port, token=BENCH_TOKEN)
        try:
            result["import"] = measure_import(token_client, 200 if quick else 5000)
            log(f"{engine} import: {result['import']}")
        except RuntimeError as exc:
            result["import"] = {"error": str(exc)}
            log(f"{engine} import failed: {exc}")
        try:
            result["export"] = measure_export(token_client, f"format=csv&province={context['province']}")
            log(f"{engine} export: {result['export']}")
        except RuntimeError as exc:
            result["export"] = {"error": str(exc)}
            log(f"{engine} export failed: {exc}")
        result["peak_rss_mb"] = server.peak_rss()
        log(f"{engine} peak RSS (MB): {result['peak_rss_mb']}")
    report.add_ratios(result)
    return result


def run_benchmark(options: dict, log) -> int:
    """The whole run; returns the exit status (1 when a scenario had errors or the guard failed)."""
    if not wrk_available():
        log("wrk is not installed: `make system-deps` (Debian package wrk).")
        return 2
    quick = options["quick"]
    size = "quick" if quick else options["size"]
    label, _factor = parse_size(size)
    engines = list(ENGINES) if options["engine"] == "both" else [options["engine"]]
    status = 0
    if quick:
        from sencrm.bench.guard import run_guard

        status = run_guard(size=size, engines=engines, update=False, log=log)
    sets = DataSets(label, size, log=log)
    started = datetime.now(UTC)
    result = {
        "started": started.isoformat(timespec="seconds"),
        "size": label,
        "quick": quick,
        "command": "sencrm bench " + " ".join(sys.argv[2:]),
        "note": options.get("note", ""),
        "machine": machine_info(),
        "engines": {},
    }
    for engine in engines:
        result["engines"][engine] = run_engine(sets, engine, options, log)
    result["machine"]["load_average_at_end"] = list(os.getloadavg())
    result["seconds"] = round((datetime.now(UTC) - started).total_seconds())
    output = Path(options.get("output") or bench_dir() / "results" / f"{label}-{started:%Y%m%dT%H%M%S}.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    log(f"result: {output}")
    if not options.get("no_docs") and not quick:
        report.update_docs(result)
        log("docs/BENCHMARKS.md updated")
    for engine, figures in result["engines"].items():
        for row in figures["scenarios"]:
            for connections in CONCURRENCY:
                if row[f"c{connections}"]["errors"]:
                    errors = row[f"c{connections}"]["errors"]
                    log(f"ERROR: {engine} {row['name']} c={connections}: {errors} errors")
                    status = 1
    return status


__all__ = ["Scenario", "run_benchmark"]
