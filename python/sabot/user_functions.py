"""Python UDFs, compiled automatically with Numba and run by engine threads without the GIL.

A UDF is a plain function whose parameters are named like the columns it reads::

    def fare_per_km(fare, distance_km):
        if distance_km <= 0:
            return 0.0
        return fare / distance_km

    trips.with_columns(fare_per_km=fare_per_km)          # row-wise, compiled
    trips.filter(lambda tip, fare: tip > 0.2 * fare)       # a predicate
    trips.with_columns(norm=lambda x, y: np.sqrt(x * x + y * y))   # NumPy, element-wise

How it runs is read off its code (``stream.explain()`` shows it): scalar code is
compiled into a loop over the rows (``numba.njit``), element-wise NumPy code per
element (``numba.vectorize``), other NumPy array code over whole columns
(``numba.guvectorize``), code calling pyarrow, pandas or polars runs untouched on
pyarrow arrays; what Numba cannot compile runs interpreted, with a ``UdfWarning``
saying why. A null argument gives a null result without calling the UDF, unless it
is declared with ``handles_nulls=True`` (then it receives ``None``). Strings arrive
as ``str``; dates, timestamps and durations as the integers of their unit.

``@sabot.udf`` declares what the analysis cannot know::

    @sabot.udf(returns=pa.float32(), handles_nulls=True)
    def score(x):
        return 0.0 if x is None else x * 2
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import pyarrow as pa

from . import _udf_registry
from ._udf_registry import UdfOptions, UdfWarning

__all__ = ["udf", "UdfWarning", "Udf", "udf_cache_info", "clear_udf_memory_cache"]


class Udf:
    """A function declared with ``@sabot.udf``; calling it still calls the function."""

    def __init__(self, fn: Callable, options: UdfOptions):
        if not callable(fn):
            raise TypeError(f"@sabot.udf needs a function, not {type(fn).__name__}")
        self.fn, self.options = fn, options
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Udf({getattr(self.fn, '__qualname__', self.fn)!r})"


def udf(fn: Callable | None = None, *, returns: pa.DataType | str | None = None, handles_nulls: bool = False,
        strategy: str | None = None, name: str | None = None) -> Any:
    """Declares a UDF's result type (``returns``, a pyarrow type or its name such as
    ``"float32"``), that it takes nulls as ``None`` (``handles_nulls``), a strategy
    to force (``"njit"``, ``"vectorize"``, ``"guvectorize"``, ``"batch"``,
    ``"interpreted"``) or the name shown in plans. Optional: undecorated functions
    are UDFs too."""
    if isinstance(returns, str):
        returns = pa.type_for_alias(returns)
    options = UdfOptions(returns, handles_nulls, strategy, name)
    if fn is None:
        return lambda f: Udf(f, options)
    return Udf(fn, options)


def to_expr(fn: Callable) -> Any:
    """The expression that calls `fn` on the columns its parameters name."""
    from .expr import Expr
    from . import _core

    if isinstance(fn, Udf):
        target, options = fn.fn, fn.options
    else:
        target, options = fn, UdfOptions()
    target = getattr(target, "py_func", target)  # an @numba.njit function: its Python source
    if not hasattr(target, "__code__"):
        raise TypeError(f"a UDF must be a Python function (def or lambda) whose parameters name columns, "
                        f"not {type(target).__name__} {target!r}")
    registered = _udf_registry.register(target, options)
    return Expr(_core.call(registered.name, [_core.col(p) for p in registered.analysis.params], {}))


def udf_cache_info() -> dict[str, Any]:
    """Counters of this process: kernels ``compiled`` by Numba, loaded from its disk
    cache (``disk_hits``), found in memory (``memory_hits``), UDFs that fell back to
    ``interpreted``, and the milliseconds spent (``compile_ms``)."""
    return _udf_registry.stats()


def clear_udf_memory_cache() -> None:
    """Drops compiled kernels kept in memory. UDFs already used keep theirs (the engine
    holds them); a UDF registered anew then loads its kernel from the disk cache."""
    _udf_registry.clear_memory_cache()
