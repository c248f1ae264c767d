"""TPC-H, all 22 queries: Sabot against DuckDB and Polars on the same Parquet files.

    make bench-tpch SF=1 THREADS=2   (or: .venv/bin/python bench/tpch_bench.py --sf 1 --threads 2)

Data: tpchgen-cli writes the eight tables as Parquet into bench/.cache/tpch/sf<SF>/
(gitignored) when they are missing (bench/tpch/data.py).

Queries: bench/tpch/sql.py (DuckDB, the TPC-H SQL with the specification's default
parameters), bench/tpch/queries.py (Sabot's Python API), bench/tpch/polars_queries.py
(Polars' lazy API). Sabot and Polars read the decimal columns as float64 (Sabot's
aggregates take no decimals yet); DuckDB computes on its exact decimals.

How it runs:
- Each engine lives in its own child process (this script with --worker), which
  imports only that engine: DuckDB with ``SET threads TO <THREADS>``, Polars with
  POLARS_MAX_THREADS=<THREADS> in its environment before the import, Sabot with
  ``sabot.set_threads(<THREADS>)`` (which runs the part of a plan that is a chain from
  one source through filters, projections and join probes, up to an aggregate or a
  sort, on that many threads, and the rest on one).
- Before timing, every table file is read once (the OS file cache is warm for
  everyone) and every engine runs every query once untimed; those answers are checked:
  Sabot's and Polars' against DuckDB's (bench/tpch/check.py). A wrong answer fails the
  run (exit status 1) before any timing.
- Then, query by query, the engines take turns (sabot, duckdb, polars, sabot, ...)
  for --repeats rounds; the median counts. A run is the wall time of building the
  query and fetching the whole answer as an Arrow table (DuckDB ``to_arrow_table()``,
  Polars ``collect().to_arrow()``, Sabot ``collect()``), measured inside the worker.
  CPU seconds of the worker process over the same span show how many cores it used.
- Peak memory: the worker's maximum resident set size over the whole pass (all
  queries, warm-up included), read by this process with ``os.wait4`` on the worker's
  pid when it exits (the kernel's ru_maxrss of that child alone). The worker's RSS
  after importing its engine, before any query, is reported beside it, since the
  interpreter and libraries are part of the peak.

Output: a per-query table, bench/results/tpch-<SF>-<THREADS>.csv (one row per query,
medians and ratios), a bar chart bench/results/tpch-<SF>-<THREADS>.png (each query's
time relative to DuckDB), and as last line:
    tpch sf=<sf> threads=<n> sabot_s=<x> duckdb_s=<x> polars_s=<x> ratio_vs_duckdb=<x>
with totals over the queries run; ratio = DuckDB seconds / Sabot seconds.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from tpch import data, sql  # noqa: E402

ENGINES = ("sabot", "duckdb", "polars")
RESULTS_DIR = BENCH_DIR / "results"


# -- the worker: one engine, commands on stdin, one JSON line per answer on stdout -------

def _query_runner(engine: str, folder: Path, sf: float, threads: int):
    """A function: query number -> pyarrow.Table, for this engine."""
    if engine == "duckdb":
        import duckdb
        con = duckdb.connect()
        con.execute(f"SET threads TO {threads}")
        data.duckdb_views(con, folder)
        return lambda n: con.sql(sql.query(n, sf)).to_arrow_table()
    if engine == "polars":
        from tpch import polars_queries  # POLARS_MAX_THREADS is already in the environment
        scan = polars_queries.tables(folder)
        return lambda n: polars_queries.QUERIES[n](scan, sf).collect().to_arrow()
    if engine == "sabot":
        import sabot
        from tpch import queries
        sabot.set_threads(threads)
        scan = queries.tables(folder)
        return lambda n: queries.QUERIES[n](scan, sf).collect()
    raise ValueError(f"unknown engine {engine!r}; engines are {', '.join(ENGINES)}")


def worker(engine: str, folder: Path, sf: float, threads: int) -> None:
    # The engine first: sabot sets Arrow's allocator options, read when pyarrow loads.
    run = _query_runner(engine, folder, sf, threads)
    import pyarrow.feather as feather

    out = sys.stdout
    sys.stdout = sys.stderr  # keep the protocol channel clean of stray prints
    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out.write(json.dumps({"ready": True, "baseline_kb": baseline_kb}) + "\n")
    out.flush()
    for line in sys.stdin:
        command = json.loads(line)
        try:
            cpu, start = time.process_time(), time.perf_counter()
            table = run(command["query"])
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            if command.get("save"):
                feather.write_feather(table, command["save"], compression="uncompressed")
            reply = {"seconds": seconds, "cpu": cpu, "rows": table.num_rows}
        except Exception as e:  # reported to the driver, which fails the run
            reply = {"error": f"{type(e).__name__}: {e}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


class Worker:
    def __init__(self, engine: str, folder: Path, sf: float, threads: int):
        env = dict(os.environ)
        if engine == "polars":
            env["POLARS_MAX_THREADS"] = str(threads)
        self.engine = engine
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", engine, "--folder", str(folder), "--sf", repr(sf),
             "--threads", str(threads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self.baseline_kb = self._read()["baseline_kb"]

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.engine} worker died (exit status {self.proc.wait()})")
        return json.loads(line)

    def run(self, query: int, save: str | None = None) -> dict:
        self.proc.stdin.write(json.dumps({"query": query, "save": save}) + "\n")
        self.proc.stdin.flush()
        reply = self._read()
        if "error" in reply:
            raise RuntimeError(f"{self.engine} failed on Q{query}: {reply['error']}")
        return reply

    def close(self) -> int:
        """Ends the worker; its peak resident set in KiB (ru_maxrss of that child)."""
        self.proc.stdin.close()
        _, status, usage = os.wait4(self.proc.pid, 0)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        return usage.ru_maxrss


# -- the driver -----------------------------------------------------------------------

def warm_file_cache(folder: Path) -> int:
    total = 0
    for t in data.TABLES:
        with open(data.table_path(folder, t), "rb") as f:
            while chunk := f.read(1 << 24):
                total += len(chunk)
    return total


def verify(workers: dict[str, Worker], numbers: list[int], tmp: Path) -> list[str]:
    """Runs every query once per engine (untimed warm-up); the wrong answers, if any."""
    import pyarrow.feather as feather
    from tpch import check

    wrong = []
    for n in numbers:
        paths = {e: tmp / f"{e}-q{n}.arrow" for e in workers}
        for e, w in workers.items():
            w.run(n, save=str(paths[e]))
        want = feather.read_table(paths["duckdb"])
        for e in workers:
            if e == "duckdb":
                continue
            try:
                check.compare(n, feather.read_table(paths[e]), want, e)
            except check.WrongAnswer as err:
                wrong.append(str(err))
        print(f"  Q{n:<2} answers checked ({want.num_rows} rows)", flush=True)
    return wrong


def write_chart(path: Path, rows: list[dict], sf: str, threads: int) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"Q{r['query']}" for r in rows]
    x = range(len(rows))
    fig, ax = plt.subplots(figsize=(13, 4.5))
    width = 0.4
    ax.bar([i - width / 2 for i in x], [r["sabot_s"] / r["duckdb_s"] for r in rows], width, label="Sabot")
    ax.bar([i + width / 2 for i in x], [r["polars_s"] / r["duckdb_s"] for r in rows], width, label="Polars")
    ax.axhline(1.0, color="black", linewidth=0.8, label="DuckDB")
    ax.set_xticks(list(x), labels)
    ax.set_ylabel("time relative to DuckDB (lower is faster)")
    ax.set_title(f"TPC-H SF {sf}, {threads} threads per engine, median of runs")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sf", type=float, default=1.0, help="scale factor (default 1)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="threads per engine (default: every core)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per engine and query (median counts)")
    parser.add_argument("--queries", default="1-22", help="e.g. 1-22 or 1,3,18")
    parser.add_argument("--engines", default=",".join(ENGINES),
                        help="engines to run, comma-separated (sabot and duckdb always: duckdb checks the answers)")
    parser.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads < 1 or args.repeats < 1:
        parser.error("--threads and --repeats must be at least 1")

    if args.worker:
        worker(args.worker, args.folder, args.sf, args.threads)
        return 0

    numbers = parse_queries(args.queries, parser)
    engines = tuple(e for e in ENGINES if e in {"sabot", "duckdb", *args.engines.split(",")})
    unknown = set(args.engines.split(",")) - set(ENGINES)
    if unknown:
        parser.error(f"unknown engine(s) {', '.join(sorted(unknown))}; engines are {', '.join(ENGINES)}")
    sf = data.sf_label(args.sf)
    start = time.perf_counter()
    folder = data.ensure_data(args.sf)
    print(f"data: {folder} ({time.perf_counter() - start:.1f} s to find or generate)")
    print(f"file cache warmed: read {warm_file_cache(folder) / 1e6:.0f} MB of Parquet once before any run")
    import duckdb
    import sabot
    versions = f"sabot {sabot.__version__}, duckdb {duckdb.__version__}"
    if "polars" in engines:
        import polars
        versions += f", polars {polars.__version__}"
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores (load average {load:.1f}); threads per engine: {args.threads}; {versions}")

    workers = {e: Worker(e, folder, args.sf, args.threads) for e in engines}
    try:
        print("warm-up run of every query, answers checked against DuckDB:")
        with tempfile.TemporaryDirectory() as tmp:
            wrong = verify(workers, numbers, Path(tmp))
        if wrong:
            for w in wrong:
                print(f"WRONG ANSWER: {w}", file=sys.stderr)
            return 1
        times = {e: {n: [] for n in numbers} for e in engines}
        cpu = {e: {n: [] for n in numbers} for e in engines}
        for n in numbers:
            for _ in range(args.repeats):
                for e in engines:
                    reply = workers[e].run(n)
                    times[e][n].append(reply["seconds"])
                    cpu[e][n].append(reply["cpu"])
            print(f"  Q{n:<2} " + "  ".join(f"{e} {statistics.median(times[e][n]):.3f} s" for e in engines),
                  flush=True)
    finally:
        peaks = {e: w.close() for e, w in workers.items()}

    rows = []
    for n in numbers:
        row = {"query": n}
        for e in ENGINES:  # an engine not run reads nan
            row[f"{e}_s"] = statistics.median(times[e][n]) if e in engines else float("nan")
            row[f"{e}_cpu_s"] = statistics.median(cpu[e][n]) if e in engines else float("nan")
        row["ratio_vs_duckdb"] = row["duckdb_s"] / row["sabot_s"]
        rows.append(row)

    print(f"\n{'query':>5} {'sabot s':>9} {'duckdb s':>9} {'polars s':>9} {'ratio':>6}   "
          f"{'cpu/wall: sabot':>15} {'duckdb':>6} {'polars':>6}")
    for r in rows:
        print(f"{'Q' + str(r['query']):>5} {r['sabot_s']:>9.3f} {r['duckdb_s']:>9.3f} {r['polars_s']:>9.3f} "
              f"{r['ratio_vs_duckdb']:>6.2f}   "
              + " ".join(f"{r[e + '_cpu_s'] / r[e + '_s']:>{15 if e == 'sabot' else 6}.2f}" for e in ENGINES))
    total = {e: sum(r[f"{e}_s"] for r in rows) for e in ENGINES}  # nan for an engine not run
    ratio = total["duckdb"] / total["sabot"]
    print(f"{'total':>5} {total['sabot']:>9.3f} {total['duckdb']:>9.3f} {total['polars']:>9.3f} {ratio:>6.2f}")
    print(f"(median of {args.repeats} runs, engines alternating, warm file cache; "
          f"ratio = duckdb s / sabot s; lowest query ratio {min(r['ratio_vs_duckdb'] for r in rows):.2f}; "
          f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after: other work on the machine "
          f"shows as cpu/wall below the thread count)")
    print("peak resident memory over the whole pass (ru_maxrss of each worker process; "
          "in brackets: after importing the engine, before any query):")
    for e in engines:
        print(f"  {e:7} {peaks[e] / 1024:8.0f} MiB  ({workers[e].baseline_kb / 1024:.0f} MiB)")

    RESULTS_DIR.mkdir(exist_ok=True)
    csv_path = RESULTS_DIR / f"tpch-{sf}-{args.threads}.csv"
    png_path = csv_path.with_name(csv_path.name[:-len(".csv")] + ".png")
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        for r in rows:
            writer.writerow({k: (f"{v:.4f}" if isinstance(v, float) else v) for k, v in r.items()})
        for e in engines:  # peak memory, one line per engine, in the same file
            f.write(f"# peak_rss_mib {e} {peaks[e] / 1024:.0f} baseline_mib {workers[e].baseline_kb / 1024:.0f}\n")
    write_chart(png_path, rows, sf, args.threads)
    print(f"results: {csv_path.relative_to(BENCH_DIR.parent)}, {png_path.relative_to(BENCH_DIR.parent)}")
    print(f"tpch sf={sf} threads={args.threads} sabot_s={total['sabot']:.3f} duckdb_s={total['duckdb']:.3f} "
          f"polars_s={total['polars']:.3f} ratio_vs_duckdb={ratio:.2f}")
    return 0


def parse_queries(text: str, parser: argparse.ArgumentParser) -> list[int]:
    numbers: list[int] = []
    try:
        for part in text.split(","):
            low, _, high = part.partition("-")
            numbers += range(int(low), int(high or low) + 1)
    except ValueError:
        parser.error(f"--queries takes numbers and ranges such as 1-22 or 1,3,18, not {text!r}")
    bad = [n for n in numbers if n not in sql.QUERY_NUMBERS]
    if bad or not numbers:
        parser.error(f"--queries: TPC-H has queries 1 to 22, not {bad or text!r}")
    return numbers


if __name__ == "__main__":
    sys.exit(main())
