"""Time an import in this process: rows/s and peak memory (VmHWM) of the worker.

    SENCRM_DATA_DIR=/tmp/bench .venv/bin/sencrm migrate
    python -m sencrm.core.imports.sample 1000000 /tmp/contacts-1m.csv
    SENCRM_DATA_DIR=/tmp/bench .venv/bin/python -m sencrm.core.imports.bench /tmp/contacts-1m.csv [--profile]

Runs ``import_run`` directly (what the Huey task does) as the test organisation's director (created
when the database has no users), with the suggested mapping and "skip" on a match.
"""

import os
import sys
import time


def _vm(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) // 1024
    return 0


class _Peaks:
    """Peak anonymous (heap) and file-backed resident memory, sampled twice a second: SQLite's
    ``mmap_size`` maps the database file, and mapped pages count in VmHWM though the kernel can
    drop them at any time."""

    def __init__(self) -> None:
        import threading

        self.anon = self.file = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.anon = max(self.anon, _vm("RssAnon"))
            self.file = max(self.file, _vm("RssFile"))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def main(path: str, profile: bool = False) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sencrm.settings")
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sencrm.core.imports.service import import_create, import_run
    from sencrm.core.models import User

    user = User.objects.filter(username="erin").first()
    if user is None:
        from sencrm.common.testing import make_org

        user = make_org().erin
    with open(path, "rb") as f:
        upload = SimpleUploadedFile(os.path.basename(path), b"")
        upload.file = f
        upload.size = os.path.getsize(path)
        job, _table = import_create(user=user, entity="crm.contact", upload=upload)
    print(f"job {job.pk}: mapping {job.params['mapping']}; rss before run {_vm('VmRSS')} MB", flush=True)
    peaks = _Peaks()
    started, cpu_started = time.perf_counter(), time.process_time()
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile(time.process_time)  # CPU time: the machine is shared
        profiler.runcall(import_run, job.pk)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
    else:
        import_run(job.pk)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peaks.stop()
    job.refresh_from_db()
    rows = job.counts.get("rows", 0)
    print(f"status {job.status} {job.message} counts {job.counts}")
    rate = rows / elapsed
    print(f"{rows} rows in {elapsed:.1f} s = {rate:,.0f} rows/s; peak RSS (VmHWM) {_vm('VmHWM')} MB")
    print(f"peak RssAnon {peaks.anon} MB, peak RssFile {peaks.file} MB (sampled every 0.5 s)")
    # The machine is shared: CPU time says what the import costs whatever else runs.
    print(f"CPU time of this process {cpu:.1f} s = {rows / cpu:,.0f} rows per CPU-second")


if __name__ == "__main__":
    main(sys.argv[1], "--profile" in sys.argv)
