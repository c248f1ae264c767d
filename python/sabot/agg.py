"""Aggregate functions for ``Stream.group_by(...).agg(...)``.

    from sabot import agg
    orders.group_by("customer").agg(total=agg.sum("amount"), n=agg.count(), avg=agg.mean("amount"))

Semantics follow SQL: nulls are skipped (``count()`` counts rows); ``var``/``stddev``
are the sample statistics; ``first``/``last`` take the value in input order, null included.
"""
from __future__ import annotations

from .stream import Agg

__all__ = ["count", "sum", "min", "max", "mean", "var", "stddev", "count_distinct", "first", "last"]


def count(column: str | None = None) -> Agg:
    """Rows (``count(*)``), or the non-null values of ``column``."""
    return Agg("count_all") if column is None else Agg("count", column)


def sum(column: str) -> Agg:  # noqa: A001 - the SQL name
    return Agg("sum", column)


def min(column: str) -> Agg:  # noqa: A001
    return Agg("min", column)


def max(column: str) -> Agg:  # noqa: A001
    return Agg("max", column)


def mean(column: str) -> Agg:
    return Agg("mean", column)


def var(column: str) -> Agg:
    return Agg("var", column)


def stddev(column: str) -> Agg:
    return Agg("stddev", column)


def count_distinct(column: str) -> Agg:
    return Agg("count_distinct", column)


def first(column: str) -> Agg:
    return Agg("first", column)


def last(column: str) -> Agg:
    return Agg("last", column)
