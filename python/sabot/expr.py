"""Expressions over columns: ``col("price") * col("qty") > 100``.

An :class:`Expr` is a small tree the engine binds to Arrow compute kernels; building
one runs nothing. Arithmetic is overflow-checked; ``&``, ``|`` and ``~`` are SQL's
three-valued AND, OR and NOT (use parentheses: ``(a > 1) & (b < 2)``).
"""
from __future__ import annotations

import datetime as _dt
import decimal as _decimal
import json as _json
from typing import Any

from . import _core

__all__ = ["Expr", "col", "lit", "call"]


class Expr:
    """An expression; combine with operators and the methods below."""

    __slots__ = ("_e",)

    def __init__(self, core: _core.Expr):
        self._e = core

    # -- operators ------------------------------------------------------------
    def _bin(self, fn: str, other: Any, reverse: bool = False) -> "Expr":
        a, b = (_to_expr(other), self) if reverse else (self, _to_expr(other))
        return Expr(_core.call(fn, [a._e, b._e], {}))

    def __add__(self, o): return self._bin("add_checked", o)
    def __radd__(self, o): return self._bin("add_checked", o, True)
    def __sub__(self, o): return self._bin("subtract_checked", o)
    def __rsub__(self, o): return self._bin("subtract_checked", o, True)
    def __mul__(self, o): return self._bin("multiply_checked", o)
    def __rmul__(self, o): return self._bin("multiply_checked", o, True)
    def __truediv__(self, o): return self._bin("divide_checked", o)
    def __rtruediv__(self, o): return self._bin("divide_checked", o, True)
    def __eq__(self, o): return self._bin("equal", o)  # type: ignore[override]
    def __ne__(self, o): return self._bin("not_equal", o)  # type: ignore[override]
    def __lt__(self, o): return self._bin("less", o)
    def __le__(self, o): return self._bin("less_equal", o)
    def __gt__(self, o): return self._bin("greater", o)
    def __ge__(self, o): return self._bin("greater_equal", o)
    def __and__(self, o): return self._bin("and_kleene", o)
    def __rand__(self, o): return self._bin("and_kleene", o, True)
    def __or__(self, o): return self._bin("or_kleene", o)
    def __ror__(self, o): return self._bin("or_kleene", o, True)
    def __invert__(self): return Expr(_core.call("invert", [self._e], {}))
    def __neg__(self): return Expr(_core.call("negate_checked", [self._e], {}))

    def __bool__(self):
        raise TypeError("an Expr has no truth value; combine conditions with & and |, not 'and'/'or'")

    __hash__ = None  # type: ignore[assignment]

    # -- methods --------------------------------------------------------------
    def cast(self, to: str, safe: bool = True) -> "Expr":
        """Converts to a type: ``col("x").cast("int32")``; unsafe casts may truncate."""
        return Expr(_core.call("cast", [self._e], {"to": to, "safe": "true" if safe else "false"}))

    def is_null(self) -> "Expr":
        return Expr(_core.call("is_null", [self._e], {}))

    def is_valid(self) -> "Expr":
        return Expr(_core.call("is_valid", [self._e], {}))

    def is_in(self, values: Any, *, nulls_equal: bool = False, skip_nulls: bool = False) -> "Expr":
        """SQL's ``x IN (...)``: ``col("mode").is_in(["MAIL", "SHIP"])``. Values are str,
        int, float or bool (cast to the column's type); dates, datetimes and Decimals, or
        their text, beside a date, timestamp or decimal column (read as the column's type,
        as text in a comparison is: naive times in a zoned column's zone). Nulls as in SQL
        (and DuckDB): a null input gives null, and so does no match where ``values`` holds
        a None (so a filter drops those rows, and ``~x.is_in([1, None])`` keeps none). With
        ``nulls_equal`` a null input matches a None in ``values`` (true, else false); with
        ``skip_nulls`` a null input is false and Nones in ``values`` are ignored."""
        if nulls_equal and skip_nulls:
            raise ValueError("is_in takes nulls_equal or skip_nulls, not both")
        behaviour = "match" if nulls_equal else "skip" if skip_nulls else "inconclusive"
        values = list(values)
        if any(isinstance(v, (_dt.date, _decimal.Decimal)) for v in values):
            # All as text, read as the column's type: [Decimal("1.5"), 2] is one kind.
            values = [None if v is None else _literal_text(v) for v in values]
        return call("is_in", self, value_set=values, null_matching=behaviour)

    def if_else(self, then: Any, otherwise: Any) -> "Expr":
        """``cond.if_else(a, b)``: a where cond is true, else b (null cond gives null)."""
        return call("if_else", self, then, otherwise)

    def __repr__(self) -> str:
        return f"Expr({self._e})"

    def __str__(self) -> str:
        return str(self._e)


def col(name: str) -> Expr:
    """A column of the input, by name."""
    return Expr(_core.col(name))


def lit(value: Any, type: Any = None) -> Expr:
    """A constant. bool, int (int64), float (float64), str; dates and datetimes;
    ``decimal.Decimal`` (a decimal128 of its own digits: ``Decimal("2.50")`` is
    decimal128(3, 2)); ``None`` or other text with an explicit ``type``, a name such as
    ``"decimal128(12, 2)"`` or a pyarrow type."""
    if type is not None:
        return Expr(_core.typed_lit(None if value is None else _literal_text(value), str(type)))
    if value is None:
        raise TypeError("lit(None) needs a type, e.g. lit(None, 'int64')")
    if isinstance(value, _decimal.Decimal):
        return Expr(_core.typed_lit(_literal_text(value), _decimal_type(value)))
    if isinstance(value, _dt.datetime):
        unit = "timestamp[us, tz=UTC]" if value.tzinfo else "timestamp[us]"
        text = value.astimezone(_dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value
        return Expr(_core.typed_lit(text.isoformat(sep=" "), unit))
    if isinstance(value, _dt.date):
        return Expr(_core.typed_lit(value.isoformat(), "date32"))
    return Expr(_core.lit(value))


def _literal_text(value: Any) -> str:
    # Plain notation for decimals: str(Decimal("1E+3")) is "1E+3".
    return format(value, "f") if isinstance(value, _decimal.Decimal) else str(value)


def _decimal_type(value: _decimal.Decimal) -> str:
    """The smallest decimal type that holds ``value`` exactly."""
    if not value.is_finite():
        raise TypeError(f"lit() takes finite decimals only, not {value!r}")
    _, digits, exponent = value.as_tuple()
    scale = max(0, -exponent)
    precision = max(1, len(digits) + max(0, exponent), scale)
    if precision > 76:
        raise TypeError(f"lit({value!r}): {precision} digits do not fit a decimal (at most 76)")
    return f"decimal{128 if precision <= 38 else 256}({precision}, {scale})"


def call(function: str, *args: Any, **options: Any) -> Expr:
    """Any Arrow compute scalar function by name, e.g. ``call("utf8_upper", col("s"))``
    or ``call("strptime", col("s"), format="%Y-%m-%d", unit="us")``. A list option
    (``call("is_in", col("x"), value_set=[1, 2])``) travels as JSON."""
    text = {k: _option_text(v) for k, v in options.items()}
    return Expr(_core.call(function, [_to_expr(a)._e for a in args], text))


def _option_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        try:
            return _json.dumps(list(value))
        except TypeError:
            raise TypeError(f"a list option holds str, int, float, bool or None values (is_in also dates, "
                            f"datetimes and Decimals), not {value!r}") from None
    return str(value)


def _to_expr(value: Any) -> Expr:
    if isinstance(value, Expr):
        return value
    if callable(value):  # a Python UDF over the columns its parameters name
        from .user_functions import to_expr
        return to_expr(value)
    return lit(value)
