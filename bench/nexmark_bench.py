"""Nexmark queries on Sabot: events per second, and per core.

    make bench-nexmark        (or: .venv/bin/python bench/nexmark_bench.py [--events 10000000])

Every query reads ``sabot.nexmark`` (the generator is part of the measured work, as in the
benchmark's own harness) over ``--events`` events (all three kinds; a query over bids reads
46 of every 50) with one worker per core, ``--repeats`` times; the median counts, and
events/s = events / time. The results go through a count sink, but q10's, which are
written to partitioned CSV files (a temporary directory, removed after each run; Flink's
job writes the same). The queries are
bench/nexmark/queries.py (q0-q22; each checked against DuckDB by
python/tests/test_nexmark_queries.py). For the stateful ones, one more run under
explain_analyze reads each step's peak state rows (windows, sessions, interval joins,
per-group top-k: the rows they hold at once; hash joins and aggregations report none), and
their sum is the state column.

Apache Flink runs the same queries over the same events (bench/nexmark-flink: a Java port
of Sabot's generator, checked row for row by bench/test_nexmark_flink_identity.py) as
DataStream jobs on a one-JVM MiniCluster with parallelism = cores, after --flink-warmups
untimed runs per query (the JIT needs a couple: q3's first runs take 2-4x its later ones),
then --repeats timed ones; the row counts must equal Sabot's. ratio = Sabot events/s /
Flink events/s. Results: bench/results/nexmark-<cores>.csv (and .png when matplotlib is
installed). The last line:
    nexmark events=<n> cores=<c> geomean_ratio_vs_flink=<x> min_ratio_vs_flink=<x> q0_ev_per_s_per_core=<x>
(q0_ev_per_s_per_core is Sabot's; with --no-flink the ratios read n/a.)
"""
from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sabot

import nexmark_flink
from nexmark import queries as nexmark_queries


def peak_state_rows(stream: sabot.Stream) -> int:
    """The sum over the plan's steps of their peak state rows, from explain_analyze's table."""
    lines = stream.explain_analyze().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("step"))
    if not lines[header].rstrip().endswith("peak state"):
        return 0
    return sum(int(line.split()[-1]) for line in lines[header + 1:] if line.split() and line.split()[-1].isdigit())


def run_sabot(events: int, repeats: int, cores: int, names: list[str]) -> dict[str, dict[str, float]]:
    out = {}
    src = lambda table: sabot.nexmark(table, events=events)  # noqa: E731
    print(f"sabot: {cores} worker threads")
    print(f"{'query':<6} {'rows out':>12} {'seconds':>9} {'events/s':>14} {'events/s/core':>14} {'peak state rows':>16}")
    for name in names:
        build = nexmark_queries.QUERIES[name]
        times, rows = [], 0
        writer = nexmark_queries.WRITERS.get(name)
        for _ in range(repeats):
            out_dir = tempfile.mkdtemp(prefix=f"nexmark-{name}-")
            start = time.perf_counter()
            rows = writer(build(src), os.path.join(out_dir, "out")) if writer else build(src).count()
            times.append(time.perf_counter() - start)
            shutil.rmtree(out_dir)
        seconds = statistics.median(times)
        rate = events / seconds
        state = peak_state_rows(build(src)) if name in nexmark_queries.STATEFUL else 0
        out[name] = {"rows": rows, "seconds": seconds, "events_per_s": rate, "state_rows": state}
        print(f"{name:<6} {rows:>12,} {seconds:>9.3f} {rate:>14,.0f} {rate / cores:>14,.0f} {state:>16,}", flush=True)
    return out


def run_flink(events: int, repeats: int, warmups: int, cores: int, names: list[str]) -> dict[str, dict[str, float]]:
    print(f"flink: parallelism {cores}, MiniCluster in one JVM, {warmups} warm-up + {repeats} timed runs per query")
    out = nexmark_flink.bench(events, cores, repeats, warmups, names)
    print(f"{'query':<6} {'rows out':>12} {'seconds':>9} {'events/s':>14} {'events/s/core':>14}")
    for name, r in out.items():
        print(f"{name:<6} {r['rows']:>12,} {r['seconds']:>9.3f} {r['events_per_s']:>14,.0f} "
              f"{r['events_per_s'] / cores:>14,.0f}")
    return out


def chart(path: Path, sabot_side: dict, flink_side: dict, events: int, cores: int) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    names = list(sabot_side)
    x = range(len(names))
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.bar([i - 0.2 for i in x], [sabot_side[q]["events_per_s"] / 1e6 for q in names], 0.4, label="Sabot")
    ax.bar([i + 0.2 for i in x], [flink_side[q]["events_per_s"] / 1e6 for q in names], 0.4, label="Flink")
    ax.set_xticks(list(x), names, rotation=45)
    ax.set_ylabel("million events/s")
    ax.set_title(f"Nexmark, {events:,} events, {cores} cores")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--flink-warmups", type=int, default=2, help="untimed JIT warm-up runs per Flink query")
    parser.add_argument("--no-flink", action="store_true", help="Sabot only (the ratios read n/a)")
    parser.add_argument("--queries", default=",".join(nexmark_queries.QUERIES),
                        help="comma-separated subset (default: all)")
    args = parser.parse_args()
    names = args.queries.split(",")
    unknown = [q for q in names if q not in nexmark_queries.QUERIES]
    if unknown:
        parser.error(f"unknown queries {unknown} (known: {', '.join(nexmark_queries.QUERIES)})")
    cores = os.cpu_count() or 1
    print(f"machine: {cores} cores (load average {os.getloadavg()[0]:.1f}); sabot {sabot.__version__}; "
          f"{args.events:,} events")
    if not args.no_flink:
        nexmark_flink.ensure_jar()  # before any timing, so a Maven build never overlaps one
    sabot_side = run_sabot(args.events, args.repeats, cores, names)
    flink_side = {} if args.no_flink else run_flink(args.events, args.repeats, args.flink_warmups, cores, names)

    ratios = {}
    if flink_side:
        wrong = [f"{q}: sabot {sabot_side[q]['rows']:,} rows, flink {flink_side.get(q, {}).get('rows')}"
                 for q in sabot_side if flink_side.get(q, {}).get("rows") != sabot_side[q]["rows"]]
        if wrong:
            print("nexmark: Sabot and Flink disagree on rows out:\n  " + "\n  ".join(wrong), file=sys.stderr)
            return 1
        ratios = {q: sabot_side[q]["events_per_s"] / flink_side[q]["events_per_s"] for q in sabot_side}
        print(f"\nside by side ({cores} cores; ratio = Sabot events/s / Flink events/s)")
        print(f"{'query':<6} {'rows out':>12} {'sabot ev/s':>14} {'flink ev/s':>14} {'ratio':>7} "
              f"{'sabot peak state rows':>22}")
        for q, s in sabot_side.items():
            print(f"{q:<6} {s['rows']:>12,} {s['events_per_s']:>14,.0f} {flink_side[q]['events_per_s']:>14,.0f} "
                  f"{ratios[q]:>7.2f} {s['state_rows']:>22,}")

    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    with open(results / f"nexmark-{cores}.csv", "w") as f:
        f.write("query,rows_out,seconds,events_per_s,events_per_s_per_core,peak_state_rows,"
                "flink_rows_out,flink_seconds,flink_events_per_s,flink_events_per_s_per_core,ratio_vs_flink\n")
        for q, s in sabot_side.items():
            fl = flink_side.get(q)
            flink_cols = (f"{fl['rows']},{fl['seconds']:.4f},{fl['events_per_s']:.0f},"
                          f"{fl['events_per_s'] / cores:.0f},{ratios[q]:.3f}") if fl else ",,,,"
            f.write(f"{q},{s['rows']},{s['seconds']:.4f},{s['events_per_s']:.0f},"
                    f"{s['events_per_s'] / cores:.0f},{s['state_rows']},{flink_cols}\n")
    if flink_side:
        png = results / f"nexmark-{cores}.png"
        if chart(png, sabot_side, flink_side, args.events, cores):
            print(f"chart: {png.relative_to(results.parent.parent)}")
        else:
            print("chart: skipped (matplotlib is not installed)")

    geomean = f"{math.exp(statistics.fmean(math.log(r) for r in ratios.values())):.2f}" if ratios else "n/a"
    lowest = f"{min(ratios.values()):.2f}" if ratios else "n/a"
    print(f"nexmark events={args.events} cores={cores} geomean_ratio_vs_flink={geomean} min_ratio_vs_flink={lowest} "
          f"q0_ev_per_s_per_core={sabot_side['q0']['events_per_s'] / cores:.0f}"
          if "q0" in sabot_side else "q0_ev_per_s_per_core=n/a")
    return 0


if __name__ == "__main__":
    sys.exit(main())
