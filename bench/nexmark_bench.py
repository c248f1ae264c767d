"""Nexmark queries on Sabot: events per second, and per core.

    make bench-nexmark        (or: .venv/bin/python bench/nexmark_bench.py [--events 10000000])

Every query reads ``sabot.nexmark`` (the generator is part of the measured work, as in the
benchmark's own harness) over ``--events`` events (all three kinds; a query over bids reads
46 of every 50) with one worker per core, ``--repeats`` times; the median counts, and
events/s = events / time. The results go through a count sink.

  q0  pass-through of bids
  q1  bid prices converted to euros (price * 0.908)
  q2  bids on auctions whose id is a multiple of 123
  q3  auctions of category 10 joined with their sellers from OR, ID or CA

Flink is not run yet (the MiniCluster side of the issue is still to build), so the ratio
fields of the last line read n/a:
    nexmark events=<n> cores=<c> geomean_ratio_vs_flink=n/a min_ratio_vs_flink=n/a q0_ev_per_s_per_core=<x>
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import sabot
from sabot.expr import col


def queries(events: int) -> dict:
    src = lambda table: sabot.nexmark(table, events=events)  # noqa: E731
    return {
        "q0": lambda: src("bid"),
        "q1": lambda: src("bid").select("auction", "bidder", price=col("price") * 0.908, date_time=col("date_time")),
        "q2": lambda: src("bid").filter(sabot.call("modulo", col("auction"), 123) == 0).select("auction", "price"),
        "q3": lambda: (src("auction").filter(col("category") == 10)
                       .join(src("person").filter((col("state") == "OR") | (col("state") == "ID")
                                                  | (col("state") == "CA")), left_on="seller", right_on="id")
                       .select("name", "city", "state", "id")),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    print(f"machine: {cores} cores (load average {os.getloadavg()[0]:.1f}); sabot {sabot.__version__}; "
          f"{args.events:,} events, {cores} worker threads")
    rows = []
    print(f"{'query':<6} {'rows out':>12} {'seconds':>9} {'events/s':>14} {'events/s/core':>14}")
    for name, build in queries(args.events).items():
        times, out = [], 0
        for _ in range(args.repeats):
            start = time.perf_counter()
            out = build().count()
            times.append(time.perf_counter() - start)
        seconds = statistics.median(times)
        rate = args.events / seconds
        rows.append((name, out, seconds, rate, rate / cores))
        print(f"{name:<6} {out:>12,} {seconds:>9.3f} {rate:>14,.0f} {rate / cores:>14,.0f}")
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    with open(results / f"nexmark-{cores}.csv", "w") as f:
        f.write("query,rows_out,seconds,events_per_s,events_per_s_per_core\n")
        for r in rows:
            f.write(f"{r[0]},{r[1]},{r[2]:.4f},{r[3]:.0f},{r[4]:.0f}\n")
    print(f"nexmark events={args.events} cores={cores} geomean_ratio_vs_flink=n/a min_ratio_vs_flink=n/a "
          f"q0_ev_per_s_per_core={rows[0][4]:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
