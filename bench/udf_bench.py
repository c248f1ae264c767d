"""Python UDFs: row-by-row Python vs Sabot's auto-compiled UDF vs the same computation
as a built-in Arrow compute expression in Sabot.

    make bench-udf          (or: .venv/bin/python bench/udf_bench.py [--rows 10000000] [--repeats 3])

Data: an in-memory table of 10M rows (float64 x, float64 y, int64 k; numpy, fixed seed,
batches of 128K rows), read by Sabot through ``sabot.from_arrow`` (no copy). Two UDFs:

  scalar   branches on each row:  x * 2 + k if x > 0 else x - k
           native: (col("x") > 0).if_else(col("x") * 2 + col("k"), col("x") - col("k"))
  numpy    np.sqrt(x * x + y * y) (element-wise NumPy code)
           native: call("sqrt", col("x") * col("x") + col("y") * col("y"))

Each Sabot variant runs ``with_columns(out=...).count()``: every row is computed, nothing
is kept. Python row-by-row calls the function once per row over Python lists of the
values (converting the columns to lists is not timed); over 10M rows that takes minutes,
so it runs on a 1M-row subset and its time is scaled by 10 (said in the output). Sabot
runs on one thread (like the Python loop) and, in a second column, on every core.
Times are the median of --repeats runs.

Compilation: ``compile_ms`` is what compiling both UDFs cost on first use (cold disk
cache, a fresh cache folder). ``cached_compile_ms`` is what getting one UDF's compiled
code costs in a new process whose cache folder already holds it, per UDF (the slower of the two), after
Numba's one-time start in that process (reported beside it), median of --repeats new
processes. Within one process a UDF used again compiles nothing at all (0 ms).

The last line is for scripts:
    udf speedup_vs_python=<x> ratio_vs_native=<x> compile_ms=<x> cached_compile_ms=<x>
(speedup: Python time / Sabot UDF time; ratio: Sabot UDF time / native expression time;
both the worse of the two UDFs, one thread.)
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pyarrow as pa

import sabot
from sabot import call, col

BATCH_ROWS = 128 * 1024
PYTHON_ROWS = 1_000_000


def scalar_udf(x, k):
    if x > 0.0:
        return x * 2.0 + k
    return x - k


def numpy_udf(x, y):
    return np.sqrt(x * x + y * y)


NATIVE = {
    "scalar": lambda: (col("x") > 0.0).if_else(col("x") * 2.0 + col("k"), col("x") - col("k")),
    "numpy": lambda: call("sqrt", col("x") * col("x") + col("y") * col("y")),
}
UDFS = {"scalar": scalar_udf, "numpy": numpy_udf}
ARGS = {"scalar": ("x", "k"), "numpy": ("x", "y")}


def make_table(rows: int, seed: int = 7) -> pa.Table:
    rng = np.random.default_rng(seed)
    table = pa.table({"x": rng.normal(size=rows), "y": rng.normal(size=rows),
                      "k": rng.integers(-1000, 1000, size=rows)})
    return pa.Table.from_batches(table.to_batches(max_chunksize=BATCH_ROWS), schema=table.schema)


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def python_rows(table: pa.Table, name: str, repeats: int) -> float:
    """Seconds for all rows, measured on PYTHON_ROWS and scaled."""
    subset = table.slice(0, min(PYTHON_ROWS, table.num_rows))
    columns = [subset[c].to_pylist() for c in ARGS[name]]
    fn = UDFS[name]
    seconds = median_time(lambda: [fn(*row) for row in zip(*columns)], max(1, repeats - 1))
    return seconds * table.num_rows / subset.num_rows


def check_same(table: pa.Table, name: str) -> None:
    """The compiled UDF and the native expression agree (on a slice)."""
    part = sabot.from_arrow(table.slice(0, 200_000))
    got = part.with_columns(out=UDFS[name]).collect()["out"].to_numpy()
    want = part.with_columns(out=NATIVE[name]()).collect()["out"].to_numpy()
    if not np.allclose(got, want):
        sys.exit(f"udf_bench: the {name} UDF and its native expression disagree")


def load_from_disk_cache(cache: str) -> None:
    """(Child process) Loads both UDFs from the disk cache; prints the times as JSON."""
    import numba

    started = time.perf_counter()
    numba.njit(lambda v: v + 1)(1)  # Numba's one-time start in this process
    start_ms = (time.perf_counter() - started) * 1e3
    table = make_table(1_000)
    per_udf = []
    for name in UDFS:
        before = sabot.udf_cache_info()["compile_ms"]
        sabot.from_arrow(table).with_columns(out=UDFS[name]).count()
        per_udf.append(sabot.udf_cache_info()["compile_ms"] - before)
    info = sabot.udf_cache_info()
    print(json.dumps({"numba_start_ms": start_ms, "per_udf_ms": per_udf, "compiled": info["compiled"],
                      "disk_hits": info["disk_hits"]}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--load-from-disk-cache", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_from_disk_cache:
        load_from_disk_cache(os.environ["SABOT_UDF_CACHE_DIR"])
        return

    cores = os.cpu_count() or 1
    cache = tempfile.mkdtemp(prefix="sabot-udf-bench-")
    os.environ["SABOT_UDF_CACHE_DIR"] = cache
    table = make_table(args.rows)
    print(f"udf bench: {args.rows:,} rows in memory, {cores} cores; Sabot on 1 thread and on {cores}; "
          f"Python row-by-row timed on {min(PYTHON_ROWS, args.rows):,} rows and scaled to {args.rows:,}")

    # First use compiles (cold, empty cache folder).
    started_ms = sabot.udf_cache_info()["compile_ms"]
    for name in UDFS:
        sabot.from_arrow(table.slice(0, 1_000)).with_columns(out=UDFS[name]).count()
    compile_ms = sabot.udf_cache_info()["compile_ms"] - started_ms
    compiled_before = sabot.udf_cache_info()["compiled"]

    speedups, ratios = [], []
    print(f"{'udf':8} {'python s':>10} {'sabot udf s':>12} {'native s':>9} {'udf s ' + str(cores) + 't':>10} "
          f"{'native s ' + str(cores) + 't':>13} {'speedup':>8} {'ratio':>6}")
    for name in UDFS:
        check_same(table, name)
        stream_udf = sabot.from_arrow(table).with_columns(out=UDFS[name])
        stream_native = sabot.from_arrow(table).with_columns(out=NATIVE[name]())
        t_python = python_rows(table, name, args.repeats)
        t_udf = median_time(lambda: stream_udf.count(threads=1), args.repeats)
        t_native = median_time(lambda: stream_native.count(threads=1), args.repeats)
        t_udf_n = median_time(lambda: stream_udf.count(threads=cores), args.repeats)
        t_native_n = median_time(lambda: stream_native.count(threads=cores), args.repeats)
        speedup, ratio = t_python / t_udf, t_udf / t_native
        speedups.append(speedup)
        ratios.append(ratio)
        print(f"{name:8} {t_python:10.3f} {t_udf:12.4f} {t_native:9.4f} {t_udf_n:10.4f} {t_native_n:13.4f} "
              f"{speedup:8.1f} {ratio:6.2f}")
    if sabot.udf_cache_info()["compiled"] != compiled_before:
        sys.exit("udf_bench: running the jobs again compiled something")

    # New processes load from the disk cache; the median of --repeats processes counts.
    loads = []
    for _ in range(args.repeats):
        child = subprocess.run([sys.executable, __file__, "--load-from-disk-cache"], capture_output=True,
                               text=True, env=dict(os.environ, SABOT_UDF_CACHE_DIR=cache), check=True)
        loaded = json.loads(child.stdout.strip().splitlines()[-1])
        if loaded["compiled"] != 0 or loaded["disk_hits"] != len(UDFS):
            sys.exit(f"udf_bench: a new process compiled instead of loading from the disk cache: {loaded}")
        loads.append(loaded)
    shutil.rmtree(cache, ignore_errors=True)
    per_udf = [statistics.median(run["per_udf_ms"][i] for run in loads) for i in range(len(UDFS))]
    numba_start = statistics.median(run["numba_start_ms"] for run in loads)
    cached_ms = max(per_udf)
    print(f"compile (cold): {compile_ms:.0f} ms for {len(UDFS)} UDFs; new process, disk cache: "
          f"{', '.join(f'{m:.1f}' for m in per_udf)} ms per UDF after Numba's start "
          f"({numba_start:.0f} ms, once per process; median of {len(loads)} processes); "
          f"same process again: 0 compiles")
    print(f"udf speedup_vs_python={min(speedups):.1f} ratio_vs_native={max(ratios):.2f} "
          f"compile_ms={compile_ms:.0f} cached_compile_ms={cached_ms:.1f}")


if __name__ == "__main__":
    main()
