"""What driving a plan from Python costs, against running the same plan from C++.

    make bench-python      (or: SABOT_BIN=build/sabot .venv/bin/python bench/python_overhead.py)

The plan: generate rows -> filter (value > 0.5) -> with_columns (v2 = value * 2.0).
It is built once with the Python API; its plan file (Stream.to_plan_json, with the file
sink swapped for a count sink) is what the C++ side runs, so both run the very same plan.

- C++:    `sabot run --stats plan.json`; the time is the run time the CLI reports itself
          (process start-up, plan loading and exit are not counted).
- Python: `for batch in stream: rows += batch.num_rows` in this process, timed from
          starting the iteration to its end (each batch crosses into Python as a
          pyarrow.RecordBatch, zero-copy).

Both at 1K-row and 100K-row batches, with enough rows for about a second per run; runs
alternate between the two sides, and the median of --repeats runs is reported (one
warm-up run each first). The ratio is Python time / C++ time; nothing is subtracted.

The last line is machine-readable:  python overhead_small=<ratio> overhead_large=<ratio>
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sabot
from sabot import col

REPO_ROOT = Path(__file__).resolve().parent.parent
# (label, batch size, rows): enough rows for >= ~1 s per run on one core.
CASES = [("small", 1_000, 30_000_000), ("large", 100_000, 60_000_000)]


def build_stream(rows, batch_size):
    return (sabot.generate(rows=rows, batch_size=batch_size)
            .filter(col("value") > 0.5)
            .with_columns(v2=col("value") * 2.0))


def count_plan(stream):
    """The stream's own plan file, ending in a count sink instead of a file."""
    plan = json.loads(stream.to_plan_json("parquet", "unused.parquet"))
    plan["plan"] = {"op": "sink", "kind": "count", "input": plan["plan"]["input"]}
    return plan


def run_cpp(sabot_bin, plan_file):
    """(seconds reported by --stats, rows written)."""
    proc = subprocess.run([sabot_bin, "run", "--stats", str(plan_file)], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"sabot failed (rc={proc.returncode}):\n{proc.stderr}")
    rows = re.search(r"wrote (\d+) rows", proc.stderr)
    secs = re.search(r"; ([0-9.e+-]+) s \(", proc.stderr)
    if not rows or not secs:
        sys.exit(f"cannot read sabot's --stats output:\n{proc.stderr}")
    return float(secs.group(1)), int(rows.group(1))


def run_python(stream):
    """(seconds, rows) of iterating the stream batch by batch."""
    start = time.perf_counter()
    rows = 0
    for batch in stream:
        rows += batch.num_rows
    return time.perf_counter() - start, rows


def measure(sabot_bin, tmp, label, batch_size, rows, repeats):
    stream = build_stream(rows, batch_size)
    plan_file = Path(tmp) / f"plan_{label}.json"
    plan_file.write_text(json.dumps(count_plan(stream), indent=1))
    cpp_times, py_times = [], []
    for i in range(repeats + 1):  # run 0 warms both sides up and is not counted
        cpp_s, cpp_rows = run_cpp(sabot_bin, plan_file)
        py_s, py_rows = run_python(stream)
        if cpp_rows != py_rows:
            sys.exit(f"RESULT MISMATCH ({label}): C++ wrote {cpp_rows} rows, Python iterated {py_rows}")
        if i > 0:
            cpp_times.append(cpp_s)
            py_times.append(py_s)
    return statistics.median(cpp_times), statistics.median(py_times), py_rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per side (the median is reported)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the row counts (e.g. 0.1 for a quick run)")
    args = parser.parse_args()

    sabot_bin = os.environ.get("SABOT_BIN", str(REPO_ROOT / "build" / "sabot"))
    if not Path(sabot_bin).is_file():
        sys.exit(f"sabot binary not found at {sabot_bin} (run `make build` or set SABOT_BIN)")

    print(f"machine: {os.cpu_count()} cores; sabot {sabot.__version__}; python {sys.version.split()[0]}")
    print("plan: generate -> filter(value > 0.5) -> with_columns(v2 = value * 2.0) -> count / Python for-loop")
    ratios = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, batch_size, rows in CASES:
            rows = max(batch_size, int(rows * args.scale))
            cpp_s, py_s, out_rows = measure(sabot_bin, tmp, label, batch_size, rows, args.repeats)
            ratios[label] = py_s / cpp_s
            batches = -(-rows // batch_size)
            print(f"{label}: {batch_size:,}-row batches, {rows:,} rows generated ({batches:,} batches), "
                  f"{out_rows:,} rows out")
            print(f"  C++ (sabot run, count sink): {cpp_s * 1e3:8.1f} ms  {rows / cpp_s / 1e6:7.1f} M rows/s")
            print(f"  Python (for batch in stream): {py_s * 1e3:7.1f} ms  {rows / py_s / 1e6:7.1f} M rows/s  "
                  f"({(py_s - cpp_s) / batches * 1e6:+.1f} us per batch)")
            print(f"  ratio python/C++: {ratios[label]:.2f} (median of {args.repeats})")
    print(f"python overhead_small={ratios['small']:.2f} overhead_large={ratios['large']:.2f}")


if __name__ == "__main__":
    main()
