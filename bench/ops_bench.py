"""Stateful operators, Sabot against DuckDB: hash join, grouped aggregation, sort.

    make bench-ops            (or: .venv/bin/python bench/ops_bench.py [--scale 0.1] [--repeats 3])

Data is generated with numpy (fixed seed) into in-memory pyarrow tables, in batches of
128K rows, and both engines read those same tables (Sabot through ``sabot.from_arrow``,
DuckDB through a registered Arrow table): no file parsing, no copies on the way in.

  join   build 1M rows (unique int64 key, int64 payload), probe 10M rows (keys drawn from
         the build keys, int64 payload); inner join. Both engines aggregate the joined
         rows to count(*), sum(probe payload), sum(build payload), so every joined row
         is produced and nothing can be optimized away:
           SELECT count(*), sum(p.pv), sum(b.bv) FROM probe p JOIN build b ON p.key = b.key
         Sabot: probe.join(build, "key").agg(...); the build (right) side is the one held
         in memory. rows/s = (build + probe rows) / time.
  agg    10M rows, 1M groups (int64 key), sum(int64) + count(*) per group; the 1M result
         rows are fetched as an Arrow table by both engines.
           SELECT key, sum(v), count(*) FROM t GROUP BY key
  sort   10M rows (int64 a with duplicates, float64 b, int64 id) ORDER BY a, b; the whole
         sorted result is fetched as an Arrow table by both engines (DuckDB:
         ``.to_arrow_table()`` of the query; Sabot: ``.collect()``), so both materialize
         every sorted row. rows/s = input rows / time.

Both engines run on one thread (``sabot.set_threads(1)``, DuckDB ``SET threads TO 1``):
this compares the operators themselves; ``make bench-scaling`` measures threads. Each
operation runs ``--repeats`` times per engine, alternating engines, and the median time
counts. Each engine's answer is checked against the other's (counts and sums; for the
sort, the key columns in order) and the run fails loudly on a mismatch.

The last line is for scripts:
    ops join_ratio=<x> agg_ratio=<x> sort_ratio=<x>      (Sabot rows/s / DuckDB rows/s)
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import sabot
from sabot import agg

BATCH_ROWS = 128 * 1024
# Operator speed, not scaling (that is bench/scaling_bench.py): one thread in both.
THREADS = 1


def chunked(columns: dict[str, np.ndarray]) -> pa.Table:
    table = pa.table(columns)
    return pa.Table.from_batches(table.to_batches(max_chunksize=BATCH_ROWS), schema=table.schema)


def make_data(scale: float, seed: int = 11) -> dict[str, pa.Table]:
    rng = np.random.default_rng(seed)
    n_build, n_probe = int(1_000_000 * scale), int(10_000_000 * scale)
    n_agg, n_groups = int(10_000_000 * scale), int(1_000_000 * scale)
    n_sort = int(10_000_000 * scale)
    build_keys = rng.permutation(n_build).astype(np.int64) * 7 + 3  # unique, not dense
    return {
        "build": chunked({"key": build_keys, "bv": rng.integers(0, 1000, n_build)}),
        "probe": chunked({"key": build_keys[rng.integers(0, n_build, n_probe)],
                          "pv": rng.integers(0, 1000, n_probe)}),
        "agg": chunked({"key": rng.integers(0, n_groups, n_agg), "v": rng.integers(-1000, 1000, n_agg)}),
        "sort": chunked({"a": rng.integers(0, n_sort // 10, n_sort), "b": np.round(rng.random(n_sort), 3),
                         "id": np.arange(n_sort, dtype=np.int64)}),
    }


# -- the three operations, each engine returning something to check --------------------

def sabot_join(data):
    probe, build = sabot.from_arrow(data["probe"]), sabot.from_arrow(data["build"])
    row = probe.join(build, "key").agg(n=agg.count(), sp=agg.sum("pv"), sb=agg.sum("bv")).collect()
    return tuple(row.column(c)[0].as_py() for c in ("n", "sp", "sb"))


def duck_join(con, data):
    (row,) = con.sql("SELECT count(*), sum(p.pv), sum(b.bv) FROM probe p JOIN build b ON p.key = b.key").fetchall()
    return tuple(int(x) for x in row)


def sabot_agg(data):
    return sabot.from_arrow(data["agg"]).group_by("key").agg(s=agg.sum("v"), n=agg.count()).collect()


def duck_agg(con, data):
    return con.sql('SELECT key, CAST(sum(v) AS BIGINT) AS s, count(*) AS n FROM agg GROUP BY key').to_arrow_table()


def agg_summary(table: pa.Table):
    return (table.num_rows, pc.sum(table["s"]).as_py(), pc.sum(table["n"]).as_py(),
            pc.sum(pc.multiply(table["key"], table["s"])).as_py())


def sabot_sort(data):
    return sabot.from_arrow(data["sort"]).sort("a", "b").collect()


def duck_sort(con, data):
    return con.sql("SELECT * FROM sort ORDER BY a, b").to_arrow_table()


def check_sorted_same(got: pa.Table, want: pa.Table, rows: int) -> None:
    if got.num_rows != rows or want.num_rows != rows:
        fail(f"sort: sabot returned {got.num_rows} rows, duckdb {want.num_rows}, input {rows}")
    for name in ("a", "b"):  # the key sequence is determined; ids within ties are not
        if not got[name].equals(want[name]):
            fail(f"sort: column {name} differs between sabot and duckdb")
    if pc.sum(got["id"]).as_py() != pc.sum(want["id"]).as_py():
        fail("sort: the sorted rows are not the input rows (sum of ids differs)")


def fail(message: str):
    sys.exit(f"RESULT MISMATCH: {message}")


def timed(fn):
    """Wall seconds, the result, and the process CPU seconds (shows the threads really used)."""
    cpu, start = time.process_time(), time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result, time.process_time() - cpu


def run_alternating(name, sabot_fn, duck_fn, repeats):
    """Median seconds for each engine, runs interleaved; the first results of each."""
    sabot_times, duck_times, first, cpu = [], [], {}, {}
    for i in range(repeats):
        for engine, fn, times in (("sabot", sabot_fn, sabot_times), ("duckdb", duck_fn, duck_times)):
            secs, result, cpu[engine] = timed(fn)
            times.append(secs)
            first.setdefault(engine, result)
            del result
        print(f"  {name} run {i + 1}: sabot {sabot_times[-1]:.3f} s (cpu {cpu['sabot']:.3f} s), "
              f"duckdb {duck_times[-1]:.3f} s (cpu {cpu['duckdb']:.3f} s)", flush=True)
    return statistics.median(sabot_times), statistics.median(duck_times), first


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the default sizes")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per engine (median counts)")
    args = parser.parse_args()

    start = time.perf_counter()
    data = make_data(args.scale)
    print(f"data generated in {time.perf_counter() - start:.1f} s: "
          + ", ".join(f"{k} {t.num_rows:,} rows" for k, t in data.items()))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} cores (load average {load:.1f}); threads: sabot {THREADS}, "
          f"duckdb {THREADS}; sabot {sabot.__version__}, duckdb {duckdb.__version__}")

    con = duckdb.connect()
    con.execute(f"SET threads TO {THREADS}")
    sabot.set_threads(THREADS)
    for name, table in data.items():
        con.register(name, table)

    results = {}

    # join
    s, d, first = run_alternating("join", lambda: sabot_join(data), lambda: duck_join(con, data), args.repeats)
    if first["sabot"] != first["duckdb"]:
        fail(f"join: sabot (count, sum pv, sum bv) = {first['sabot']}, duckdb {first['duckdb']}")
    if first["sabot"][0] != data["probe"].num_rows:
        fail(f"join: {first['sabot'][0]} joined rows, expected one per probe row ({data['probe'].num_rows})")
    results["join"] = (data["build"].num_rows + data["probe"].num_rows, s, d)
    print(f"  join result agrees: count={first['sabot'][0]:,} sum(pv)={first['sabot'][1]:,} "
          f"sum(bv)={first['sabot'][2]:,}")
    del first

    # agg
    s, d, first = run_alternating("agg", lambda: sabot_agg(data), lambda: duck_agg(con, data), args.repeats)
    got, want = agg_summary(first["sabot"]), agg_summary(first["duckdb"])
    if got != want:
        fail(f"agg: sabot (groups, sum s, sum n, sum key*s) = {got}, duckdb {want}")
    results["agg"] = (data["agg"].num_rows, s, d)
    print(f"  agg result agrees: {got[0]:,} groups, sum={got[1]:,}, count={got[2]:,}")
    del first

    # sort
    s, d, first = run_alternating("sort", lambda: sabot_sort(data), lambda: duck_sort(con, data), args.repeats)
    check_sorted_same(first["sabot"], first["duckdb"], data["sort"].num_rows)
    results["sort"] = (data["sort"].num_rows, s, d)
    print(f"  sort result agrees: {data['sort'].num_rows:,} rows in the same (a, b) order")
    del first

    print(f"\n{'op':6} {'rows':>12} {'sabot s':>9} {'sabot M rows/s':>15} {'duckdb s':>9} "
          f"{'duckdb M rows/s':>16} {'ratio':>6}")
    ratios = {}
    for name, (rows, s, d) in results.items():
        ratios[name] = (rows / s) / (rows / d)
        print(f"{name:6} {rows:>12,} {s:>9.3f} {rows / s / 1e6:>15.2f} {d:>9.3f} {rows / d / 1e6:>16.2f} "
              f"{ratios[name]:>6.2f}")
    print(f"(median of {args.repeats}, engines alternating; ratio = sabot rows/s / duckdb rows/s)")
    print(f"ops join_ratio={ratios['join']:.2f} agg_ratio={ratios['agg']:.2f} sort_ratio={ratios['sort']:.2f}")


if __name__ == "__main__":
    main()
