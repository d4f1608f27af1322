"""The benchmark's report: ratios to the ceiling, targets met, and the tables of docs/BENCHMARKS.md.

Each engine's table sits between ``<!-- bench:<engine>:start -->`` and ``<!-- bench:<engine>:end -->``
so that a run on one engine replaces only its own figures; the rest of the file (how to run,
the analysis of missed targets, the history) is written by people.
"""

from pathlib import Path

import sencrm

DOCS = Path(sencrm.__file__).resolve().parent.parent / "docs" / "BENCHMARKS.md"
RSS_TARGET_MB = 200
ENGINE_TITLES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def add_ratios(result: dict) -> None:
    """Each scenario's throughput as a fraction of the trivial endpoint's, and the targets met."""
    ceiling = next((r for r in result["scenarios"] if r["name"] == "ceiling"), None)
    for row in result["scenarios"]:
        for key in ("c1", "c16"):
            top = ceiling[key]["rps"] if ceiling else 0
            row[key]["ceiling_ratio"] = round(row[key]["rps"] / top, 3) if top else None
        met = []
        if row.get("target_p95_ms") is not None:
            met.append(row["c1"]["p95_ms"] <= row["target_p95_ms"])
        if row.get("target_rps") is not None:
            met.append(row["c16"]["rps"] >= row["target_rps"])
        met.append(row["c1"]["errors"] == 0 and row["c16"]["errors"] == 0)
        row["targets_met"] = all(met)
    web = result.get("peak_rss_mb", {}).get("web") or [0]
    result["rss_target_met"] = max(web) <= RSS_TARGET_MB


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def _target(row: dict) -> str:
    parts = []
    if row.get("target_p95_ms") is not None:
        ok = row["c1"]["p95_ms"] <= row["target_p95_ms"]
        parts.append(f"p95 ≤ {row['target_p95_ms']:g} ms {_mark(ok)}")
    if row.get("target_rps") is not None:
        ok = row["c16"]["rps"] >= row["target_rps"]
        parts.append(f"≥ {row['target_rps']:g} req/s {_mark(ok)}")
    return "; ".join(parts) or "–"


def _latency(figures: dict) -> str:
    return f"{figures['p50_ms']:.1f} / {figures['p95_ms']:.1f} / {figures['p99_ms']:.1f}"


def _ratio(value) -> str:
    return f"{value:.2f}" if value is not None else "–"


def engine_section(result: dict, engine: str) -> str:
    figures = result["engines"][engine]
    machine = result["machine"]
    build = figures["build"]
    counts = build.get("counts", {})
    version = machine["sqlite"] if engine == "sqlite" else machine["postgresql"]
    lines = [
        f"Run {result['started']} · size **{result['size']}** "
        f"({', '.join(f'{v:,} {k}' for k, v in counts.items())}) · `{result['command']}`",
        "",
        f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['memory_gb']} GB, {machine['os']}; "
        f"Python {machine['python']}, Django {machine['django']}, {ENGINE_TITLES[engine]} {version}; "
        f"gunicorn {machine['web_workers']} workers (the `make up` default). Load average "
        f"{machine['load_average_at_start'][0]:.1f} at start, "
        f"{machine.get('load_average_at_end', [0])[0]:.1f} at end"
        + (f" — {result['note']}" if result.get("note") else "")
        + ".",
        "",
        "| Scenario | c=1 p50 / p95 / p99 ms | c=1 req/s | c=16 p50 / p95 / p99 ms | c=16 req/s "
        "| × ceiling (c=16) | Errors | Target | Met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in figures["scenarios"]:
        c1, c16 = row["c1"], row["c16"]
        errors = c1["errors"] + c16["errors"]
        met = _mark(row["targets_met"]) if (row.get("target_p95_ms") or row.get("target_rps")) else "–"
        lines.append(
            f"| {row['title']} | {_latency(c1)} | {c1['rps']:,.0f} | {_latency(c16)} | {c16['rps']:,.0f} | "
            f"{_ratio(c16.get('ceiling_ratio'))} | {errors} | {_target(row)} | {met} |"
        )
    lines.append("")
    rss = figures.get("peak_rss_mb", {})
    web = rss.get("web") or [0]
    lines.append(
        f"Peak RSS (VmHWM): web workers {', '.join(f'{v:g}' for v in web)} MB "
        f"(target ≤ {RSS_TARGET_MB} MB {_mark(max(web) <= RSS_TARGET_MB)}); task consumer "
        f"{', '.join(f'{v:g}' for v in rss.get('tasks') or [0])} MB."
    )
    for name in ("import", "export"):
        item = figures.get(name, {})
        if "error" in item:
            lines.append(f"{name.title()}: failed — {item['error']}")
        elif item:
            lines.append(
                f"{name.title()}: {item['rows']:,} contacts in {item['seconds']} s = "
                f"**{item['rows_per_s']:,.0f} rows/s** ({item['status']}"
                + (f", {item['mode']}" if "mode" in item else "")
                + ")."
            )
    timings = build.get("timings", {})
    if timings:
        lines.append(
            f"Data set build: {build.get('total_seconds', build.get('seconds'))} s "
            f"({', '.join(f'{k} {v} s' for k, v in timings.items())}); "
            f"{build.get('bytes', 0) / 1e9:.1f} GB."
        )
    return "\n".join(lines)


def update_docs(result: dict, path: Path = DOCS) -> None:
    text = path.read_text() if path.exists() else ""
    for engine in result["engines"]:
        start, end = f"<!-- bench:{engine}:start -->", f"<!-- bench:{engine}:end -->"
        block = f"{start}\n{engine_section(result, engine)}\n{end}"
        if start in text and end in text:
            head, rest = text.split(start, 1)
            text = head + block + rest.split(end, 1)[1]
        else:
            text += f"\n### {ENGINE_TITLES[engine]}\n\n{block}\n"
    path.write_text(text)
