"""Compares a query's answer with DuckDB's.

Columns are matched by position (their count must agree). Numbers compare within a
relative 1e-6 (floats against DuckDB's exact decimals). Where the query has an ORDER BY,
the ORDER BY columns must come in DuckDB's sequence; rows that tie on them may come in
any order, so the rows are then compared as sorted multisets.
"""
from __future__ import annotations

import decimal
import math
from typing import Any

import pyarrow as pa

from .sql import ORDER_BY

REL_TOL = 1e-6
ABS_TOL = 1e-9


class WrongAnswer(AssertionError):
    pass


def _value(v: Any) -> Any:
    return float(v) if isinstance(v, decimal.Decimal) else v


def _same(a: Any, b: Any) -> bool:
    a, b = _value(a), _value(b)
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return a == b


def _rows(table: pa.Table) -> list[tuple]:
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return [tuple(_value(c[r]) for c in columns) for r in range(table.num_rows)]


def _sort_key(row: tuple) -> tuple:
    # Exact columns first; floats, rounded, only break the remaining ties.
    exact = tuple((v is None, "" if v is None else str(v)) for v in row if not isinstance(v, float))
    approx = tuple(round(v, 2) for v in row if isinstance(v, float))
    return exact + approx


def compare(query: int, got: pa.Table, want: pa.Table, engine: str = "sabot") -> None:
    """Raises WrongAnswer naming the first difference."""
    where = f"Q{query} ({engine} vs duckdb)"
    if got.num_columns != want.num_columns:
        raise WrongAnswer(f"{where}: {got.num_columns} columns {got.column_names}, "
                          f"expected {want.num_columns} {want.column_names}")
    if got.num_rows != want.num_rows:
        raise WrongAnswer(f"{where}: {got.num_rows} rows, expected {want.num_rows}")
    names = want.column_names
    got_rows, want_rows = _rows(got), _rows(want)
    order = [names.index(c) for c, _ in ORDER_BY[query]]
    for r, (g, w) in enumerate(zip(got_rows, want_rows)):
        for i in order:
            if not _same(g[i], w[i]):
                raise WrongAnswer(f"{where}: row {r} is out of order: {names[i]} = {g[i]!r}, expected {w[i]!r}")
    got_rows.sort(key=_sort_key)
    want_rows.sort(key=_sort_key)
    for g, w in zip(got_rows, want_rows):
        for i, name in enumerate(names):
            if not _same(g[i], w[i]):
                raise WrongAnswer(f"{where}: column {name}: {g[i]!r}, expected {w[i]!r} "
                                  f"(row {dict(zip(names, w))})")
