"""How Sabot's parallel executor scales with threads, and what it costs a tiny input.

    make bench-scaling        (or: .venv/bin/python bench/scaling_bench.py [--scale 0.2] [--repeats 3])

Data: a TPC-H-like ``lineitem`` (6M rows at scale 1) and ``orders`` (1.5M rows), made with
numpy (fixed seed) and written once as Parquet in row groups of 128K rows (the morsels)
to bench/.cache/scaling/. The queries read those files, as a user would:

  q1    scan + filter + grouped aggregate (TPC-H Q1 of bench/tpch/queries.py: 4 groups,
        8 aggregates)
  q6    scan + filter + global sum (TPC-H Q6 of bench/tpch/queries.py)
  join  lineitem JOIN orders (orders filtered, 1 in 2 kept; the build side) then a
        grouped aggregate per order priority: build, probe and partial aggregation

Each query runs at 1, 2, 4, ... threads up to the core count (``sabot.set_threads``),
``--repeats`` times per count, alternating counts, and the median counts. Every thread
count's answer must equal the 1-thread answer (to 1e-9 relative for float sums) and
that one DuckDB's on the same files; a mismatch fails the run.

speed-up(n) = time(1 thread) / time(n threads) over the three queries together;
efficiency(n) = speed-up(n) / n.

Where the lost time goes: per thread count, the process CPU time of the three queries
against the 1-thread run's ("cpu x": above 1 is work that threads add, such as page
faults on each worker's fresh memory, lock waits that spin, merging per-thread state),
how busy the threads were (cpu / (wall * threads): below 1 is time a thread had no
work, such as a serial phase or the last morsels' tail) and the minor page faults per
run. At the highest count each query's stage table (explain_analyze) follows, which
names the serial phases (a join's hash table build, the final merge).

Peer: DuckDB runs the same three queries (its SQL above) on the same files at the same
thread counts (``SET threads``), alternating counts the same way; its speed-up and
efficiency show what the machine allows a mature engine (memory bandwidth, clock drop
with all cores busy), so Sabot's figure can be read against it.

Keyed window: a keyed tumbling window (60 s, by ``key``, 1K keys) over 10M generator rows
at scale 1 (``--scale`` scales it): the keyed exchange, each key group owned by one
thread. Every thread count's answer must equal the 1-thread answer, and the 1-thread
answer DuckDB's on a tenth of the rows. Wall and process CPU time per thread count.

Small input: a 1K-row table through a Q6-like plan with threads = cores against the same
with one thread, many alternating calls; small_input_overhead = time(cores) / time(1).

The last line is for scripts:
    scaling threads=<n> efficiency=<x> small_input_overhead=<x>
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import sabot  # first: it sets Arrow's allocator options, read when pyarrow loads
import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sabot import agg
from sabot.expr import col, lit
from tpch import queries as tpch_queries  # Q1 and Q6 as the TPC-H suite writes them

CACHE = Path(__file__).resolve().parent / ".cache" / "scaling"
ROW_GROUP = 128 * 1024


def _days(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def physical_cores() -> int | None:
    """Cores as the kernel's CPU topology lists them (hyper-threads of one core count once);
    None where the topology is not readable."""
    cores = set()
    for cpu in Path("/sys/devices/system/cpu").glob("cpu[0-9]*/topology"):
        try:
            cores.add(((cpu / "physical_package_id").read_text().strip(), (cpu / "core_id").read_text().strip()))
        except OSError:
            return None
    return len(cores) or None


def make_files(scale: float) -> tuple[Path, Path]:
    """lineitem and orders Parquet files for `scale`, written once (cached by scale)."""
    folder = CACHE / f"scale-{scale:g}"
    lineitem, orders = folder / "lineitem.parquet", folder / "orders.parquet"
    if lineitem.exists() and orders.exists():
        return lineitem, orders
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    n_orders = int(1_500_000 * scale)
    n_lines = int(6_000_000 * scale)
    start, end = _days(dt.date(1992, 1, 1)), _days(dt.date(1998, 8, 2))
    order_dates = rng.integers(start, end, n_orders).astype("int32")
    priorities = np.array(["1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW"])
    orders_table = pa.table({
        "o_orderkey": np.arange(n_orders, dtype=np.int64),
        "o_orderdate": pa.array(order_dates, pa.date32()),
        "o_orderpriority": priorities[rng.integers(0, 5, n_orders)],
    })
    order_of_line = np.sort(rng.integers(0, n_orders, n_lines))
    ship = order_dates[order_of_line] + rng.integers(1, 122, n_lines).astype("int32")
    lineitem_table = pa.table({
        "l_orderkey": order_of_line.astype(np.int64),
        "l_quantity": rng.integers(1, 51, n_lines).astype(np.float64),
        "l_extendedprice": np.round(rng.uniform(900, 105_000, n_lines), 2),
        "l_discount": rng.integers(0, 11, n_lines) / 100.0,
        "l_tax": rng.integers(0, 9, n_lines) / 100.0,
        "l_returnflag": np.array(["A", "N", "R"])[rng.integers(0, 3, n_lines)],
        "l_linestatus": np.where(ship > _days(dt.date(1995, 6, 17)), "O", "F"),
        "l_shipdate": pa.array(ship, pa.date32()),
    })
    # Temporary names, renamed when complete: an interrupted run leaves no half file.
    for table, path in ((orders_table, orders), (lineitem_table, lineitem)):
        tmp = path.with_suffix(".tmp")
        pq.write_table(table, tmp, row_group_size=ROW_GROUP)
        tmp.rename(path)
    return lineitem, orders


def date(text: str):
    return lit(text, "date32")


def _scan(lineitem: Path, orders: Path):
    """The ``scan(table, *columns)`` of bench/tpch/queries.py over this benchmark's files."""
    files = {"lineitem": lineitem, "orders": orders}
    return lambda table, *columns: sabot.read_parquet(files[table], columns=list(columns) or None)


def q1(lineitem: Path, orders: Path) -> sabot.Stream:
    return tpch_queries.q1(_scan(lineitem, orders), sf=1)


Q1_SQL = """
SELECT l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty, sum(l_extendedprice) AS sum_base_price,
       sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price,
       sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge,
       avg(l_quantity) AS avg_qty, avg(l_extendedprice) AS avg_price, avg(l_discount) AS avg_disc,
       count(*) AS count_order
FROM read_parquet('{lineitem}') WHERE l_shipdate <= DATE '1998-09-02'
GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus"""


def q6(lineitem: Path, orders: Path) -> sabot.Stream:
    return tpch_queries.q6(_scan(lineitem, orders), sf=1)


Q6_SQL = """
SELECT sum(l_extendedprice * l_discount) AS revenue FROM read_parquet('{lineitem}')
WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01'
  AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24"""


def join(lineitem: Path, orders: Path) -> sabot.Stream:
    recent = sabot.read_parquet(orders).filter(col("o_orderdate") >= date("1995-03-01"))
    return (sabot.read_parquet(lineitem)
            .join(recent, left_on="l_orderkey", right_on="o_orderkey")
            .group_by("o_orderpriority")
            .agg(lines=agg.count(), revenue=agg.sum("l_extendedprice"))
            .sort("o_orderpriority"))


JOIN_SQL = """
SELECT o_orderpriority, count(*) AS lines, sum(l_extendedprice) AS revenue
FROM read_parquet('{lineitem}') JOIN read_parquet('{orders}') ON l_orderkey = o_orderkey
WHERE o_orderdate >= DATE '1995-03-01' GROUP BY o_orderpriority ORDER BY o_orderpriority"""

QUERIES = {"q1": (q1, Q1_SQL), "q6": (q6, Q6_SQL), "join": (join, JOIN_SQL)}


def same(a: pa.Table, b: pa.Table) -> bool:
    if a.schema.names != b.schema.names or a.num_rows != b.num_rows:
        return False
    for x, y in zip(a.columns, b.columns):
        if pa.types.is_floating(x.type) or pa.types.is_floating(y.type):
            if not np.allclose(x.to_numpy(), y.to_numpy(), rtol=1e-9, atol=0):
                return False
        elif x.to_pylist() != y.to_pylist():
            return False
    return True


def duckdb_answer(sql: str, lineitem: Path, orders: Path) -> pa.Table:
    result = duckdb.sql(sql.format(lineitem=lineitem, orders=orders)).arrow()
    return result.read_all() if hasattr(result, "read_all") else result


def duckdb_scaling(counts: list[int], repeats: int, lineitem: Path, orders: Path) -> dict[tuple[str, int], Run]:
    """DuckDB's medians per (query, thread count) on the same files."""
    samples: dict[tuple[str, int], list[Run]] = {}
    connections = {t: duckdb.connect() for t in counts}
    for t, con in connections.items():
        con.execute(f"SET threads={t}")
    for name, (_, sql) in QUERIES.items():
        text = sql.format(lineitem=lineitem, orders=orders)
        connections[counts[0]].sql(text).fetchall()  # warm-up
        for _ in range(repeats):
            for t in counts:
                run, _ = measured(lambda: connections[t].sql(text).fetchall())
                samples.setdefault((name, t), []).append(run)
    return {key: median_run(values) for key, values in samples.items()}


@dataclass
class Run:
    """One run, or the medians of a (query, thread count)'s runs: wall and process CPU
    seconds, minor page faults."""
    wall: float
    cpu: float
    faults: float


def median_run(samples: list[Run]) -> Run:
    return Run(*(statistics.median(getattr(s, f) for s in samples) for f in ("wall", "cpu", "faults")))


def print_scaling(engine: str, runs: dict[tuple[str, int], Run], counts: list[int]) -> float:
    """The per-count table and per-query speed-ups; returns the efficiency at the last count."""
    medians = {key: run.wall for key, run in runs.items()}
    print(f"\n{engine}")
    print(f"{'threads':>7} " + " ".join(f"{n + ' s':>9}" for n in QUERIES) + f" {'speed-up':>9} {'efficiency':>10}"
          f" {'cpu s':>7} {'cpu x':>6} {'busy':>5} {'faults':>8}")
    base = sum(medians[(n, counts[0])] for n in QUERIES)
    base_cpu = sum(runs[(n, counts[0])].cpu for n in QUERIES)
    efficiency = 1.0
    for t in counts:
        total = sum(medians[(n, t)] for n in QUERIES)
        cpu = sum(runs[(n, t)].cpu for n in QUERIES)
        faults = sum(runs[(n, t)].faults for n in QUERIES)
        speedup = base / total
        efficiency = speedup / t
        print(f"{t:>7} " + " ".join(f"{medians[(n, t)]:>9.3f}" for n in QUERIES)
              + f" {speedup:>9.2f} {efficiency:>10.2f} {cpu:>7.3f} {cpu / base_cpu:>6.2f}"
              + f" {cpu / (total * t):>5.2f} {faults:>8.0f}")
    for name in QUERIES:
        per = [f"{t}:{medians[(name, counts[0])] / medians[(name, t)]:.2f}x" for t in counts]
        print(f"  {name:<5} speed-up by threads " + " ".join(per))
    return efficiency


def measured(work) -> tuple[Run, object]:
    """Runs work(): its wall and process CPU seconds and minor page faults, and its result."""
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    start, start_cpu = time.perf_counter(), time.process_time()
    result = work()
    run = Run(time.perf_counter() - start, time.process_time() - start_cpu,
              resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults)
    return run, result


def timed(query, lineitem: Path, orders: Path) -> tuple[Run, pa.Table]:
    return measured(lambda: query(lineitem, orders).collect())


KEYED_WINDOW_SQL = """
SELECT make_timestamp(epoch_us(ts) // 60000000 * 60000000) AS window_start,
       make_timestamp(epoch_us(ts) // 60000000 * 60000000 + 60000000) AS window_end,
       key, count(*) AS n, sum(id) AS id_sum, max(value) AS top
FROM t GROUP BY ALL"""


def keyed_window(rows: int) -> sabot.Stream:
    return (sabot.generate(rows=rows, num_keys=1_000, max_out_of_orderness_us=10_000)
            .window("ts", dt.timedelta(seconds=60), by="key")
            .agg(n=agg.count(), id_sum=agg.sum("id"), top=agg.max("value")))


def sorted_rows(table: pa.Table) -> pa.Table:
    return table.sort_by([(name, "ascending") for name in table.column_names])


def keyed_window_scaling(rows: int, counts: list[int], repeats: int, failures: list[str]) -> None:
    """Times keyed_window(rows) per thread count (wall and process CPU, medians) and checks
    the answers."""
    sabot.set_threads(1)
    small = sabot.generate(rows=rows // 10, num_keys=1_000, max_out_of_orderness_us=10_000).collect()
    duck = duckdb.connect()
    duck.register("t", small)
    want = duck.sql(KEYED_WINDOW_SQL).arrow()
    want = want.read_all() if hasattr(want, "read_all") else want
    got = keyed_window(rows // 10).collect()
    if not same(sorted_rows(got), sorted_rows(want.select(got.column_names))):
        failures.append("keyed window: 1 thread differs from DuckDB")
    reference = None
    wall: dict[int, list[float]] = {t: [] for t in counts}
    cpu: dict[int, list[float]] = {t: [] for t in counts}
    for _ in range(repeats):
        for t in counts:
            sabot.set_threads(t)
            start, start_cpu = time.perf_counter(), time.process_time()
            table = sorted_rows(keyed_window(rows).collect())
            wall[t].append(time.perf_counter() - start)
            cpu[t].append(time.process_time() - start_cpu)
            if reference is None:
                reference = table
            elif not same(table, reference):
                failures.append(f"keyed window: {t} threads differ from {counts[0]} thread")
    base = statistics.median(wall[counts[0]])
    print(f"\nkeyed window ({rows:,} generator rows, 60 s tumbling by key, 1K keys; sort of the result included)")
    print(f"{'threads':>7} {'wall s':>9} {'cpu s':>9} {'speed-up':>9}")
    for t in counts:
        w = statistics.median(wall[t])
        print(f"{t:>7} {w:>9.3f} {statistics.median(cpu[t]):>9.3f} {base / w:>9.2f}")


def small_input_overhead(cores: int, calls: int) -> tuple[float, float, float]:
    rng = np.random.default_rng(3)
    n = 1_000
    table = pa.table({"x": rng.random(n), "q": rng.integers(1, 50, n).astype(np.float64)})
    stream = sabot.from_arrow(table).filter(col("q") < 24).with_columns(r=col("x") * 2.0).agg(r=agg.sum("r"))
    times = {1: [], cores: []}
    for _ in range(calls):
        for threads in times:
            sabot.set_threads(threads)
            start = time.perf_counter()
            stream.collect()
            times[threads].append(time.perf_counter() - start)
    one, many = statistics.median(times[1]), statistics.median(times[cores])
    return one, many, many / one


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="data size, 1 = 6M lineitem rows")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per thread count (median counts)")
    parser.add_argument("--max-threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    cores = os.cpu_count() or 1
    counts = sorted({t for t in [1, 2, 4, 8, 16, 32, 64] if t < args.max_threads} | {args.max_threads})
    lineitem, orders = make_files(args.scale)
    rows = pq.ParquetFile(lineitem).metadata.num_rows
    physical = physical_cores()
    print(f"machine: {cores} cores ({physical if physical else 'unknown'} physical; load average "
          f"{os.getloadavg()[0]:.1f}); sabot {sabot.__version__}; "
          f"lineitem {rows:,} rows in row groups of {ROW_GROUP:,}; file cache warm (files read once before)")

    failures = []
    runs: dict[tuple[str, int], Run] = {}
    for name, (query, sql) in QUERIES.items():
        want = duckdb_answer(sql, lineitem, orders)
        sabot.set_threads(1)
        _, reference = timed(query, lineitem, orders)  # also warms the file cache
        if not same(reference, want):
            failures.append(f"{name}: 1 thread differs from DuckDB:\n{reference}\n{want}")
        samples: dict[int, list[Run]] = {t: [] for t in counts}
        for _ in range(args.repeats):
            for t in counts:
                sabot.set_threads(t)
                run, table = timed(query, lineitem, orders)
                samples[t].append(run)
                if not same(table, reference):
                    failures.append(f"{name}: {t} threads differ from 1 thread")
        for t in counts:
            runs[(name, t)] = median_run(samples[t])

    efficiency = print_scaling("sabot", runs, counts)
    peer_efficiency = print_scaling("duckdb (peer, same queries and files)",
                                    duckdb_scaling(counts, args.repeats, lineitem, orders), counts)

    print(f"\nstages on {counts[-1]} threads (one more run of each query)")
    sabot.set_threads(counts[-1])
    for name, (query, _) in QUERIES.items():
        print(f"{name}: {query(lineitem, orders).explain_analyze()}")

    keyed_window_scaling(int(10_000_000 * args.scale), counts, args.repeats, failures)

    one, many, overhead = small_input_overhead(args.max_threads, calls=500)
    print(f"\nsmall input (1K rows, median of 500 calls): 1 thread {one * 1e6:.0f} us, "
          f"{args.max_threads} threads {many * 1e6:.0f} us")
    if failures:
        print("\n".join(failures), file=sys.stderr)
        return 1
    print(f"peer: duckdb threads={counts[-1]} efficiency={peer_efficiency:.2f}")
    print(f"scaling threads={counts[-1]} efficiency={efficiency:.2f} small_input_overhead={overhead:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
