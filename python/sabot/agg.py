"""Aggregate functions for ``Stream.group_by(...).agg(...)``.

    from sabot import agg
    orders.group_by("customer").agg(total=agg.sum("amount"), n=agg.count(), avg=agg.mean("amount"))

Semantics follow SQL: nulls are skipped (``count()`` counts rows); ``var``/``stddev``
are the sample statistics; ``first``/``last`` take the value in input order, null included.
Every function but ``first``/``last`` (which keep nulls) takes ``where=`` (SQL's ``FILTER (WHERE ...)``): only rows where that
expression is true count, e.g. ``agg.count_distinct("bidder", where=col("price") < 10_000)``.
"""
from __future__ import annotations

from .expr import Expr
from .stream import Agg

__all__ = ["count", "sum", "min", "max", "mean", "var", "stddev", "count_distinct", "first", "last"]


def count(column: str | None = None, *, where: Expr | None = None) -> Agg:
    """Rows (``count(*)``), or the non-null values of ``column``."""
    return Agg("count_all", where=where) if column is None else Agg("count", column, where=where)


def sum(column: str, *, where: Expr | None = None) -> Agg:  # noqa: A001 - the SQL name
    return Agg("sum", column, where=where)


def min(column: str, *, where: Expr | None = None) -> Agg:  # noqa: A001
    return Agg("min", column, where=where)


def max(column: str, *, where: Expr | None = None) -> Agg:  # noqa: A001
    return Agg("max", column, where=where)


def mean(column: str, *, where: Expr | None = None) -> Agg:
    return Agg("mean", column, where=where)


def var(column: str, *, where: Expr | None = None) -> Agg:
    return Agg("var", column, where=where)


def stddev(column: str, *, where: Expr | None = None) -> Agg:
    return Agg("stddev", column, where=where)


def count_distinct(column: str, *, where: Expr | None = None) -> Agg:
    return Agg("count_distinct", column, where=where)


def first(column: str) -> Agg:
    return Agg("first", column)


def last(column: str) -> Agg:
    return Agg("last", column)
