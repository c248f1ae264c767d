"""Helpers for the `sabot` CLI end-to-end tests: running plans, building plan JSON,
the test data, comparing results.

The data is one deterministic table (numpy seed) written once per session in every
input format Sabot reads; tests run plans over those files and compare with DuckDB
reading the same files.
"""
import datetime
import json
import subprocess
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

REPO_ROOT = Path(__file__).resolve().parents[4]
NUM_ROWS = 20_000
# The columns every format holds; Parquet and IPC add the list column `nums`.
BASE_COLUMNS = ["id", "k", "f", "s", "b", "ts", "d", "tags"]
# Explicit plan schema for JSON lines: Arrow's JSON reader reads dates only from
# numbers, so `d` is read as text and cast by the plan (see `source_node`).
JSONL_SCHEMA = [
    {"name": "id", "type": "int64"},
    {"name": "k", "type": "int64"},
    {"name": "f", "type": "float64"},
    {"name": "s", "type": "string"},
    {"name": "b", "type": "bool"},
    {"name": "ts", "type": "timestamp[us]"},
    {"name": "d", "type": "string"},
    {"name": "tags", "type": "string"},
]
DUCKDB_COLUMNS = (
    "{'id': 'BIGINT', 'k': 'BIGINT', 'f': 'DOUBLE', 's': 'VARCHAR', 'b': 'BOOLEAN', "
    "'ts': 'TIMESTAMP', 'd': 'DATE', 'tags': 'VARCHAR'}"
)


def run_cli(sabot_bin, *args, timeout=60):
    """Runs `sabot *args`; returns (rc, stdout, stderr)."""
    proc = subprocess.run([sabot_bin, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def write_plan(path, plan, version=1):
    """Writes a plan dict (the root node) as a plan file; returns its path."""
    path = Path(path)
    path.write_text(json.dumps({"sabot_plan_version": version, "plan": plan}, indent=1))
    return path


class Runner:
    """Writes plans into a directory and runs them with the CLI."""

    def __init__(self, sabot_bin, directory):
        self.bin = sabot_bin
        self.dir = Path(directory)
        self.count = 0

    def plan_file(self, plan, version=1):
        self.count += 1
        return write_plan(self.dir / f"plan{self.count}.json", plan, version)

    def run(self, plan, *flags, version=1):
        """Runs `sabot run [flags] plan.json`; returns (rc, stdout, stderr)."""
        return run_cli(self.bin, "run", *flags, self.plan_file(plan, version))

    def run_path(self, plan_path, *flags):
        """Runs an existing plan file."""
        return run_cli(self.bin, "run", *flags, plan_path)

    def explain(self, plan):
        return run_cli(self.bin, "explain", self.plan_file(plan))

    def run_ok(self, plan, *flags):
        rc, out, err = self.run(plan, *flags)
        assert rc == 0, f"sabot failed (rc={rc}):\n{err}"
        return out, err


# ---- plan building helpers ----

def col(name):
    return {"col": name}


def lit(value, type_):
    return {"lit": value, "type": type_}


def call(function, *args, **options):
    node = {"call": function, "args": list(args)}
    if options:
        node["options"] = options
    return node


def sink_file(input_node, path, fmt="parquet"):
    return {"op": "sink", "kind": "file", "format": fmt, "path": str(path), "input": input_node}


# ---- test data ----

def make_table(num_rows=NUM_ROWS, seed=20240607):
    """The test table: every column type the tests need, nulls included."""
    rng = np.random.default_rng(seed)
    n = num_rows

    def nulls(p):
        return rng.random(n) < p

    words = np.array(["alpha", "beta", "gamma", "delta", "älpha", "Zeta eta", "x,y", 'quo"te',
                      "alphabet", "omega"], dtype=object)
    colors = np.array(["red", "green", "blue", "cyan", "magenta"], dtype=object)
    tags = [";".join(rng.choice(colors, size=rng.integers(1, 5))) for _ in range(n)]
    ts0 = np.datetime64("2020-01-01T00:00:00", "us")
    ts = ts0 + rng.integers(0, 3 * 365 * 86400 * 10**6, n).astype("timedelta64[us]")
    d = np.datetime64("2015-01-01", "D") + rng.integers(0, 3000, n).astype("timedelta64[D]")
    nums = []
    for i in range(n):
        r = rng.random()
        nums.append(None if r < 0.05 else list(rng.integers(-50, 50, int(r * 4))))
    return pa.table({
        "id": pa.array(np.arange(n, dtype=np.int64)),
        "k": pa.array(rng.integers(-1000, 1000, n)),
        "f": pa.array(rng.normal(50, 30, n), mask=nulls(0.1)),
        "s": pa.array(rng.choice(words, n), type=pa.string(), mask=nulls(0.1)),
        "b": pa.array(rng.random(n) < 0.5, mask=nulls(0.1)),
        "ts": pa.array(ts, type=pa.timestamp("us")),
        "d": pa.array(d, type=pa.date32()),
        "tags": pa.array(tags, type=pa.string(), mask=nulls(0.05)),
        "nums": pa.array(nums, type=pa.list_(pa.int64())),
    })


def json_value(v):
    if isinstance(v, (datetime.datetime, datetime.date)):
        return v.isoformat()
    return v


def write_jsonl(table, path):
    with open(path, "w", encoding="utf-8") as out:
        for row in table.to_pylist():
            out.write(json.dumps({k: json_value(v) for k, v in row.items()}, ensure_ascii=False))
            out.write("\n")


def write_ipc_file(table, path):
    with ipc.new_file(path, table.schema) as w:
        w.write_table(table, max_chunksize=4096)


def write_ipc_stream(table, path):
    with ipc.new_stream(path, table.schema) as w:
        w.write_table(table, max_chunksize=4096)


def write_format(table, path, fmt):
    if fmt == "csv":
        pacsv.write_csv(table.select([c for c in table.column_names if c != "nums"]), path)
    elif fmt == "jsonl":
        write_jsonl(table.select([c for c in table.column_names if c != "nums"]), path)
    elif fmt == "ipc":
        write_ipc_file(table, path)
    elif fmt == "ipc_stream":
        write_ipc_stream(table, path)
    elif fmt == "parquet":
        pq.write_table(table, path, row_group_size=3000)
    else:
        raise ValueError(fmt)


EXT = {"csv": "csv", "jsonl": "jsonl", "ipc": "arrow", "ipc_stream": "arrows", "parquet": "parquet"}


class DataFiles:
    """Paths of the test table in every format, plus DuckDB views over them."""

    def __init__(self, root):
        self.root = Path(root)
        self.table = make_table()
        self.files = {}
        for fmt, ext in EXT.items():
            path = self.root / f"data.{ext}"
            write_format(self.table, path, fmt)
            self.files[fmt] = path
        # The same rows split in three files, for directory and glob sources.
        bounds = [0, 7000, 13000, NUM_ROWS]
        for fmt in ("csv", "jsonl", "parquet"):
            part_dir = self.root / f"parts_{fmt}"
            part_dir.mkdir()
            for i in range(3):
                part = self.table.slice(bounds[i], bounds[i + 1] - bounds[i])
                write_format(part, part_dir / f"part-{i}.{EXT[fmt]}", fmt)
            self.files[f"{fmt}_glob"] = part_dir / f"part-*.{EXT[fmt]}"

    def source_node(self, kind, columns=BASE_COLUMNS):
        """The plan node reading input `kind` (a format, or "<format>_glob")."""
        fmt = kind.removesuffix("_glob")
        node = {"op": "source", "format": fmt, "path": str(self.files[kind])}
        if columns is not None:
            node["columns"] = list(columns)
        if fmt == "jsonl":
            node["schema"] = JSONL_SCHEMA
            if columns is not None and "d" in columns:
                node = {"op": "with_columns", "input": node,
                        "columns": [{"name": "d", "expr": call("cast", col("d"), to="date32")}]}
        return node

    def duckdb_relation(self, con, kind):
        """SQL naming a relation over the same files as `source_node(kind)`."""
        path = self.files[kind]
        fmt = kind.removesuffix("_glob")
        if fmt == "csv":
            return f"read_csv('{path}', header=true, columns={DUCKDB_COLUMNS})"
        if fmt == "jsonl":
            return f"read_json('{path}', format='newline_delimited', columns={DUCKDB_COLUMNS})"
        if fmt == "parquet":
            return f"read_parquet('{path}')"
        name = f"ipc_{fmt}"
        reader = ipc.open_file if fmt == "ipc" else ipc.open_stream
        con.register(name, reader(pa.memory_map(str(path))).read_all())
        return name


# ---- comparing results ----

def normalize_table(table):
    """Casts a table to comparable types: int64, float64, string, timestamp[us]."""
    columns = []
    for column in table.columns:
        t = column.type
        if pa.types.is_integer(t):
            column = column.cast(pa.int64())
        elif pa.types.is_floating(t):
            column = column.cast(pa.float64())
        elif pa.types.is_large_string(t) or pa.types.is_string_view(t):
            column = column.cast(pa.string())
        elif pa.types.is_timestamp(t):
            column = column.cast(pa.timestamp("us"))
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def table_rows(table):
    table = normalize_table(table)
    return list(zip(*[c.to_pylist() for c in table.columns])) if table.num_columns else []


def _sort_key(row):
    return tuple((v is None, v) for v in row)


def values_equal(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b))
    return a == b


def assert_rows_equal(found, expected, ordered=False):
    """Compares two lists of row tuples, as multisets unless `ordered`."""
    if not ordered:
        found, expected = sorted(found, key=_sort_key), sorted(expected, key=_sort_key)
    assert len(found) == len(expected), f"row counts differ: sabot {len(found)}, expected {len(expected)}"
    for i, (f, e) in enumerate(zip(found, expected)):
        assert len(f) == len(e) and all(values_equal(x, y) for x, y in zip(f, e)), (
            f"row {i} differs:\n  sabot:    {f}\n  expected: {e}")


def assert_tables_equal(found, expected, ordered=False):
    assert found.column_names == expected.column_names
    assert_rows_equal(table_rows(found), table_rows(expected), ordered)


def assert_no_output(path):
    """A failed job leaves neither the output nor a temporary next to it."""
    path = Path(path)
    assert not path.exists(), f"{path} exists after a failed run"
    leftovers = sorted(p.name for p in path.parent.glob("*.sabot-tmp-*"))
    assert not leftovers, f"temporary files left behind: {leftovers}"
