"""`python -m bench`: every benchmark, each figure beside its raw limit measured in the same run.

Builds its own data (a throwaway embedded PostgreSQL per benchmark unless DATABASE_URL is set), runs
the reads through `training serve` as a subprocess, prints a table and writes `bench/results.json`
with the machine, date, commit and load average.

    .venv/bin/python -m bench            # the full scales the README quotes
    .venv/bin/python -m bench --quick    # every benchmark small; exits 1 when a ratio is below half its target
                                         # (except the open targets listed in OPEN)
    .venv/bin/python -m bench --only reads,burst

A "ratio" is the service's figure over the raw limit's (throughput), or the target over the measured
time where the target is a time; 1.0 or more means the target is met.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import enrolment_burst, ledger_import, progress, reads, recommendations

ROOT = Path(__file__).resolve().parents[1]
# Targets not met yet (issue 11; README "Benchmarks"): measured and printed with "(open)", but --quick
# does not fail on them. Take a prefix out of here once its target is met, so CI then guards it.
OPEN = ("read: ", "ledger import")

# name: (full scale, quick scale) keyword arguments of each benchmark's main()
SCALES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "reads": ({"rate": 300, "seconds": 10, "sessions": 500, "people": 2000},
              {"rate": 100, "seconds": 2, "sessions": 100, "people": 300}),
    "burst": ({"people": 1000, "seats": 30}, {"people": 200, "seats": 30}),
    "ledger": ({"rows": 100_000}, {"rows": 2_000}),
    "recommendations": ({"n_sessions": 500, "n_people": 5000, "n_batch": 60},
                        {"n_sessions": 100, "n_people": 500, "n_batch": 20}),
    "progress": ({"counties": 100, "runs": 30, "households": None}, {"counties": 2, "runs": 5, "households": None}),
}
RUNNERS: dict[str, Callable[..., Any]] = {"reads": reads.main, "burst": enrolment_burst.main,
                                          "ledger": ledger_import.main, "recommendations": recommendations.main,
                                          "progress": progress.main}


def machine() -> dict[str, Any]:
    try:
        git = shutil.which("git") or "git"
        commit = subprocess.run([git, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,  # noqa: S603
                                text=True, check=True).stdout.strip()
        dirty = bool(subprocess.run([git, "status", "--porcelain"], cwd=ROOT, capture_output=True,  # noqa: S603
                                    text=True, check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = "unknown", False
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return {"host": platform.node(), "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "commit": commit + ("+dirty" if dirty else ""),
            "date": datetime.now(UTC).isoformat(timespec="seconds")}


def rows(name: str, outcome: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per figure: what, measured, raw limit, ratio, target ratio."""
    if name == "reads":
        found = []
        for read, r in outcome["reads"].items():
            h = r["http"]
            p99 = h["latency_ms_from_schedule"]["p99"] if h["latency_ms_from_schedule"] else float("inf")
            found.append({"what": f"read: {read} ({r['response_bytes']} B)",
                          "measured": f"{h['capacity_per_s']}/s, {h['failed']} failed",
                          "raw": f"{r['raw_asyncpg']['capacity_per_s']}/s", "ratio": r["ratio"], "target": 0.7})
            found.append({"what": f"read: {read} p99 at {h['offered_per_s']:g}/s offered (< 50 ms)",
                          "measured": f"{p99} ms",
                          "raw": f"p99 {r['raw_asyncpg']['latency_ms_from_schedule']['p99']} ms",
                          "ratio": round(50 / max(p99, 0.001), 3), "target": 1.0})
        found.append({"what": "serve peak memory, model loaded (< 400 MB)",
                      "measured": f"{outcome['serve_peak_rss_mb']} MB", "raw": "",
                      "ratio": round(400 / outcome["serve_peak_rss_mb"], 3), "target": 1.0})
        return found
    if name == "burst":
        api, raw = outcome["api"], outcome["raw_asyncpg"]
        return [{"what": f"enrolment burst: {outcome['people']} sign-ups, {outcome['seats']} seats",
                 "measured": f"{api['decisions_per_second']}/s p99 {api['latency_ms']['p99']} ms, "
                             f"seats {'exact' if outcome['passed'] else 'WRONG'}",
                 "raw": f"{raw['decisions_per_second']}/s", "ratio": outcome["api_share_of_raw_throughput"]
                 if outcome["passed"] else 0.0, "target": 0.5}]
    if name == "ledger":
        first = outcome["runs"]["first import"]["seconds"]
        raw = outcome["raw"]
        return [{"what": f"ledger import: {outcome['rows']} rows", "measured": f"{first} s",
                 "raw": f"read {raw['read_seconds']} s + COPY {raw['copy_seconds']} s",
                 "ratio": outcome["ratio"], "target": 0.5}]
    if name == "recommendations":
        p99 = outcome["person_recommendations_http"]["latency_ms"]["p99"]
        batch = outcome["township_batch_http"]
        raw = outcome["raw_numpy"]
        return [{"what": f"recommendations: a person, {outcome['open_sessions']} open sessions (p99 < 50 ms)",
                 "measured": f"p99 {p99} ms", "raw": f"scoring p99 {raw['one_person']['latency_ms']['p99']} ms",
                 "ratio": round(50 / p99, 3), "target": 1.0},
                {"what": f"allocation: {outcome['township_people']} people, {outcome['batch_sessions']} sessions "
                         "(< 10 s)",
                 "measured": f"{batch['seconds']} s, rules {'kept' if batch['seat_limits_kept'] and batch['each_person_once'] else 'BROKEN'}",
                 "raw": f"LP {raw['batch_solver']['seconds']} s",
                 "ratio": round(10 / batch["seconds"], 3) if batch["seat_limits_kept"] else 0.0, "target": 1.0}]
    if name == "progress":
        county, province = outcome["county"], outcome["province"]
        return [{"what": "progress: a county (< 100 ms)", "measured": f"p50 {county['service']['p50_ms']} ms",
                 "raw": f"rollups {county['raw_query_on_rollups']['p50_ms']} ms",
                 "ratio": round(100 / county["service"]["p50_ms"], 3), "target": 1.0},
                {"what": f"progress: {province['counties']} counties (< 1 s)",
                 "measured": f"p50 {province['service']['p50_ms']} ms",
                 "raw": f"rollups {province['raw_query_on_rollups']['p50_ms']} ms",
                 "ratio": round(1000 / province["service"]["p50_ms"], 3), "target": 1.0}]
    raise ValueError(name)


def table(found: list[dict[str, Any]]) -> str:
    width = max(len(r["what"]) for r in found)
    lines = [f"{'benchmark':{width}}  {'measured':44}  {'raw limit, same run':24}  ratio  target"]
    for r in found:
        flag = "" if r["ratio"] >= r["target"] else ("  (missed)" if r["ratio"] >= r["target"] / 2 else "  (FAIL)")
        if flag and r["what"].startswith(OPEN):
            flag += " (open)"
        lines.append(f"{r['what']:{width}}  {r['measured']:44}  {r['raw']:24}  {r['ratio']:5.2f}  {r['target']:5.2f}"
                     + flag)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every benchmark at a small scale (CI)")
    parser.add_argument("--only", default=",".join(SCALES), help=f"comma-separated subset of {','.join(SCALES)}")
    parser.add_argument("--output", type=Path, default=None,
                        help="where to write the results (default bench/results.json; --quick: not written)")
    args = parser.parse_args()
    chosen = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = set(chosen) - set(SCALES)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    started = time.perf_counter()
    results: dict[str, Any] = {"machine": machine(), "quick": args.quick,
                               "load_average_before": [round(x, 2) for x in os.getloadavg()], "benchmarks": {}}
    found: list[dict[str, Any]] = []
    for name in chosen:
        scale = SCALES[name][1 if args.quick else 0]
        print(f"== {name} {scale}", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        outcome = asyncio.run(RUNNERS[name](**scale))
        figures = rows(name, outcome)
        results["benchmarks"][name] = {"scale": scale, "seconds": round(time.perf_counter() - t0, 1),
                                       "figures": figures, "outcome": outcome}
        found += figures
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    results["seconds"] = round(time.perf_counter() - started, 1)
    print(table(found))
    print(f"\n{results['machine']['date']}  {results['machine']['cpu']} × {results['machine']['cores']}  "
          f"commit {results['machine']['commit']}  load {results['load_average_before']} → "
          f"{results['load_average_after']}  {results['seconds']} s")
    output = args.output or (None if args.quick else ROOT / "bench" / "results.json")
    if output is not None:
        output.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str) + "\n")
    failed = [r["what"] for r in found if r["ratio"] < r["target"] / 2 and not r["what"].startswith(OPEN)]
    if failed:
        print("below half the target: " + "; ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
