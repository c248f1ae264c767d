"""Scan -> filter -> project over a 10M-row Parquet file: Sabot against DuckDB.

    make bench-scan            (or: SABOT_BIN=build/sabot .venv/bin/python bench/scan_bench.py)

The query, in SQL:

    SELECT id, price * qty AS revenue, category FROM t WHERE price > 50 AND qty < 20

Sabot runs it as a plan file ending in a count sink, twice over: in this process (the
Python package's run_plan_file, timed around the call, as DuckDB is) and as the CLI
(`sabot run --stats --threads N`, timed as the whole process, start and exit included).
DuckDB runs in this process on the same file with the same thread count, in two ways
that both compute every projected column: materialized to an Arrow table, and aggregated
(count, sum(revenue), sum(id), max(category)). The faster of the two is the baseline, so
the ratio never flatters Sabot. The ratio compares the in-process runs (the same
footing); the CLI's ratio is printed too.
The data is generated once and cached in bench/data/ (gitignored).

The last line is machine-readable:  scan ratio_vs_duckdb=<sabot rows/s / duckdb rows/s> threads=<n>
"""
import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / "data"
ROWS = 10_000_000
ROW_GROUP = 1_000_000
CATEGORIES = ["books", "games", "garden", "grocery", "health", "home", "music", "outdoors",
              "tools", "toys"]
# Both engines get the same number of threads: every core unless --threads says otherwise.
DEFAULT_THREADS = os.cpu_count() or 1
# Bump when the generated data changes, so a stale cache is not reused.
DATA_VERSION = 1


def data_path(rows):
    return DATA_DIR / f"scan_{rows}_v{DATA_VERSION}.parquet"


def generate(path, rows, seed=7):
    """Writes the benchmark table, one row group at a time (bounded memory)."""
    rng = np.random.default_rng(seed)
    schema = pa.schema([("id", pa.int64()), ("key", pa.int64()), ("price", pa.float64()),
                        ("qty", pa.int32()), ("category", pa.string()),
                        ("ts", pa.timestamp("us"))])
    categories = pa.array(CATEGORIES)
    ts0 = 1_700_000_000_000_000
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        for start in range(0, rows, ROW_GROUP):
            n = min(ROW_GROUP, rows - start)
            ids = np.arange(start, start + n, dtype=np.int64)
            table = pa.table({
                "id": ids,
                "key": rng.integers(0, 100_000, n),
                "price": np.round(rng.uniform(0, 100, n), 2),
                "qty": rng.integers(1, 50, n, dtype=np.int32),
                "category": categories.take(pa.array(rng.integers(0, len(CATEGORIES), n))),
                "ts": pa.array(ts0 + ids * 1000 + rng.integers(0, 1000, n), pa.timestamp("us")),
            }, schema=schema)
            writer.write_table(table, row_group_size=ROW_GROUP)
    tmp.rename(path)


def sabot_plan(path):
    pred = {"call": "and_kleene", "args": [
        {"call": "greater", "args": [{"col": "price"}, {"lit": 50.0, "type": "float64"}]},
        {"call": "less", "args": [{"col": "qty"}, {"lit": 20, "type": "int32"}]}]}
    revenue = {"call": "multiply", "args": [
        {"col": "price"}, {"call": "cast", "args": [{"col": "qty"}], "options": {"to": "float64"}}]}
    return {"sabot_plan_version": 1, "plan": {
        "op": "sink", "kind": "count",
        "input": {"op": "project",
                  "columns": [{"name": "id", "expr": {"col": "id"}},
                              {"name": "revenue", "expr": revenue},
                              {"name": "category", "expr": {"col": "category"}}],
                  "input": {"op": "filter", "predicate": pred,
                            # Sabot has no projection pushdown yet; DuckDB prunes by itself.
                            "input": {"op": "source", "format": "parquet", "path": str(path),
                                      "columns": ["id", "price", "qty", "category"]}}}}}


def cpu_seconds(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def time_sabot(sabot_bin, plan_file, repeats, threads):
    """Median wall time of the CLI process, the run time it reports itself, its row count,
    and the median CPU time (user + system) of the process."""
    times, engine_times, cpu, rows = [], [], [], None
    for i in range(repeats + 1):  # the first run warms the page cache and is not counted
        cpu_start = cpu_seconds(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run([sabot_bin, "run", "--stats", "--threads", str(threads), str(plan_file)],
                              capture_output=True,
                              text=True)
        elapsed = time.perf_counter() - start
        used = cpu_seconds(resource.RUSAGE_CHILDREN) - cpu_start
        if proc.returncode != 0:
            sys.exit(f"sabot failed (rc={proc.returncode}):\n{proc.stderr}")
        m = re.search(r"wrote (\d+) rows", proc.stderr)
        if not m:
            sys.exit(f"cannot find the row count in sabot's --stats output:\n{proc.stderr}")
        rows = int(m.group(1))
        engine = re.search(r"; ([0-9.e+-]+) s \(", proc.stderr)
        if i > 0:
            times.append(elapsed)
            cpu.append(used)
            if engine:
                engine_times.append(float(engine.group(1)))
    engine_s = statistics.median(engine_times) if engine_times else float("nan")
    return statistics.median(times), engine_s, rows, statistics.median(cpu)


def time_sabot_in_process(plan_file, repeats, threads):
    """Median wall and CPU time of the plan run in this process, and its row count."""
    from sabot import _core
    times, cpu, rows = [], [], None
    for i in range(repeats + 1):  # the first run warms the page cache and is not counted
        cpu_start = cpu_seconds(resource.RUSAGE_SELF)
        start = time.perf_counter()
        rows = _core.run_plan_file(str(plan_file), threads)
        elapsed = time.perf_counter() - start
        if i > 0:
            times.append(elapsed)
            cpu.append(cpu_seconds(resource.RUSAGE_SELF) - cpu_start)
    return statistics.median(times), rows, statistics.median(cpu)


QUERY = ("SELECT id, price * qty AS revenue, category FROM read_parquet('{path}') "
         "WHERE price > 50 AND qty < 20")


def time_duckdb(path, repeats, threads):
    """Median in-process wall and CPU times of the two DuckDB variants, and the result row count."""
    con = duckdb.connect()
    con.execute(f"SET threads TO {threads}")
    query = QUERY.format(path=path)
    variants = {
        "arrow": lambda: con.sql(query).to_arrow_table().num_rows,
        "aggregate": lambda: con.execute(
            f"SELECT count(*), sum(revenue), sum(id), max(category) FROM ({query})").fetchone()[0],
    }
    results = {}
    for name, fn in variants.items():
        times, cpu, rows = [], [], None
        for i in range(repeats + 1):
            cpu_start = cpu_seconds(resource.RUSAGE_SELF)
            start = time.perf_counter()
            rows = fn()
            elapsed = time.perf_counter() - start
            if i > 0:
                times.append(elapsed)
                cpu.append(cpu_seconds(resource.RUSAGE_SELF) - cpu_start)
        results[name] = (statistics.median(times), rows, statistics.median(cpu))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--repeats", type=int, default=5, help="timed runs (median is reported)")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="threads for both engines")
    args = parser.parse_args()

    sabot_bin = os.environ.get("SABOT_BIN", str(REPO_ROOT / "build" / "sabot"))
    if not Path(sabot_bin).is_file():
        sys.exit(f"sabot binary not found at {sabot_bin} (run `make build` or set SABOT_BIN)")

    path = data_path(args.rows)
    if not path.exists():
        print(f"generating {args.rows:,} rows into {path} ...", flush=True)
        start = time.perf_counter()
        generate(path, args.rows)
        print(f"  done in {time.perf_counter() - start:.1f} s", flush=True)
    meta = pq.ParquetFile(path).metadata
    print(f"data: {path.name}: {meta.num_rows:,} rows, {meta.num_row_groups} row groups, "
          f"{path.stat().st_size / 2**20:.0f} MiB")
    print(f"machine: {os.cpu_count()} cores; threads: sabot {args.threads}, duckdb {args.threads}")
    print("query: " + QUERY.format(path="t"))

    with tempfile.TemporaryDirectory() as tmp:
        plan_file = Path(tmp) / "scan_plan.json"
        plan_file.write_text(json.dumps(sabot_plan(path), indent=1))
        sabot_s, sabot_engine_s, sabot_rows, sabot_cpu = time_sabot(sabot_bin, plan_file, args.repeats, args.threads)
        inproc_s, inproc_rows, inproc_cpu = time_sabot_in_process(plan_file, args.repeats, args.threads)
    duck = time_duckdb(path, args.repeats, args.threads)
    if inproc_rows != sabot_rows:
        sys.exit(f"RESULT MISMATCH: sabot in process returned {inproc_rows} rows, the CLI {sabot_rows}")

    for name, (_, rows, _) in duck.items():
        if rows != sabot_rows:
            sys.exit(f"RESULT MISMATCH: sabot returned {sabot_rows} rows, duckdb ({name}) {rows}")
    scanned = meta.num_rows
    sabot_rps = scanned / sabot_s
    print(f"result rows: {sabot_rows:,} (sabot and duckdb agree)")
    print(f"sabot  (in process, count sink):  {inproc_s * 1e3:8.1f} ms  {scanned / inproc_s / 1e6:8.1f} M rows/s"
          f"  cpu {inproc_cpu * 1e3:6.1f} ms")
    print(f"sabot  (CLI process, count sink): {sabot_s * 1e3:8.1f} ms  {sabot_rps / 1e6:8.1f} M rows/s"
          f"  cpu {sabot_cpu * 1e3:6.1f} ms")
    print(f"  (of which the run itself, per --stats: {sabot_engine_s * 1e3:.1f} ms; the rest is "
          f"process start, plan loading and exit)")
    for name, (secs, _, cpu) in duck.items():
        print(f"duckdb ({name:9}):              {secs * 1e3:8.1f} ms  {scanned / secs / 1e6:8.1f} M rows/s"
              f"  cpu {cpu * 1e3:6.1f} ms")
    best_name, (best_s, _, best_cpu) = min(duck.items(), key=lambda kv: kv[1][0])
    duck_rps = scanned / best_s
    ratio = best_s / inproc_s
    print(f"baseline: duckdb {best_name} (the faster variant); rows/s counts scanned rows, "
          f"median of {args.repeats}")
    print(f"CLI process ratio (duckdb in process / whole sabot process): {sabot_rps / duck_rps:.2f}")
    # CPU time (user + system, all threads) is what a loaded machine distorts least; a
    # wall-time ratio far from it means the machine was busy, not that an engine changed.
    print(f"cpu ratio (duckdb {best_name} cpu / sabot in-process cpu): {best_cpu / inproc_cpu:.2f}; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"scan ratio_vs_duckdb={ratio:.2f} threads={args.threads}")


if __name__ == "__main__":
    main()
