"""Helpers shared by the Python tests (imported by name: conftest.py is not unique in
this repository, cpp/sabot/cli/tests has one too)."""
from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import pyarrow as pa

REPO_ROOT = Path(__file__).resolve().parents[2]
TRIPS_CSV = REPO_ROOT / "examples" / "data" / "trips.csv"
PYTHON = sys.executable


def cut_randomly(table: pa.Table, rng, max_rows: int) -> pa.Table:
    """The same rows in batches of 1 to ``max_rows`` rows (``rng``: a random.Random), as
    a stream delivers them."""
    batches, start = [], 0
    while start < table.num_rows:
        size = rng.randint(1, max_rows)
        batches.extend(table.slice(start, size).to_batches())
        start += size
    return pa.Table.from_batches(batches, table.schema)


def _canonical(table: pa.Table) -> list[tuple]:
    rows = table.to_pylist()
    names = table.column_names
    out = [tuple(r[n] for n in names) for r in rows]
    # None sorts first; mixed types never occur within a column.
    return sorted(out, key=lambda row: tuple((v is not None, v) for v in row))


def _close(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def assert_same_rows(got: pa.Table, expected: pa.Table, *, check_types: bool = False) -> None:
    """Same column names and the same multiset of rows (order ignored), floats compared
    with a tolerance."""
    assert got.column_names == expected.column_names
    if check_types:
        assert got.schema.equals(expected.schema), f"{got.schema} vs {expected.schema}"
    assert got.num_rows == expected.num_rows, f"{got.num_rows} rows, expected {expected.num_rows}"
    g, e = _canonical(got), _canonical(expected)
    for i, (rg, re_) in enumerate(zip(g, e)):
        assert len(rg) == len(re_)
        assert all(_close(a, b) for a, b in zip(rg, re_)), f"row {i}: {rg} != {re_}"


def engine_threads() -> int:
    import sabot
    return sabot._core.active_engine_threads()


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env
