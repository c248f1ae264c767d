"""The UDFs a process has given the engine: each is an Arrow compute function (see
cpp/sabot/expr/udf_function.h) whose kernels are made here, per argument types, on
the first bind: a Numba-compiled C function when it compiles, else a Python callable.

Compiled kernels are kept in an LRU keyed by the UDF's code, closure values and
referenced constants, the argument types and the options, so the same function used
again (in this job or the next) compiles nothing; Numba's disk cache (see
_udf_numba) covers the next process.
"""
from __future__ import annotations

import atexit
import hashlib
import re
import threading
import types
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

import pyarrow as pa

from . import _core
from ._udf_analysis import BATCH, GUVECTORIZE, INTERPRETED, STRATEGIES, Analysis, analyse, resolve
from ._udf_numba import CompileError, compile_kernel


class UdfWarning(UserWarning):
    """A UDF runs interpreted, row by row in Python, because it could not be compiled."""


MEMORY_CACHE_SIZE = 256

_lock = threading.RLock()
_kernels: "OrderedDict[tuple, Any]" = OrderedDict()  # LRU: key -> CompiledKernel or ("interpreted", reason)
_by_key: dict[str, "RegisteredUdf"] = {}
_by_name: dict[str, "RegisteredUdf"] = {}
_batch_functions: dict[str, str] = {}  # map_batches label -> where the function is defined
# Arrow's function registry outlives the interpreter: let go of the Python objects its
# UDF kernels hold while Python still runs.
atexit.register(_core.release_udf_references)

_stats = {"compiled": 0, "disk_hits": 0, "memory_hits": 0, "interpreted": 0, "compile_ms": 0.0}


def stats() -> dict[str, Any]:
    with _lock:
        return dict(_stats, memory_cache_entries=len(_kernels))


def clear_memory_cache() -> None:
    """Forgets compiled kernels kept in memory (registered functions stay usable)."""
    with _lock:
        _kernels.clear()


@dataclass
class UdfOptions:
    returns: pa.DataType | None = None
    handles_nulls: bool = False
    strategy: str | None = None
    name: str | None = None


@dataclass
class RegisteredUdf:
    fn: Callable
    options: UdfOptions
    analysis: Analysis
    code_key: str
    name: str  # of the Arrow compute function
    chosen: dict[str, str] = field(default_factory=dict)  # argument types -> strategy and why

    @property
    def label(self) -> str:
        return self.options.name or getattr(self.fn, "__qualname__", None) or getattr(self.fn, "__name__", "udf")

    def where(self) -> str:
        code = self.fn.__code__
        return f"{code.co_filename}:{code.co_firstlineno}"

    # -- kernels ------------------------------------------------------------------
    def specialize(self, types_capsule: Any) -> tuple:
        """Called by the engine on bind (GIL held): the kernel for these argument types."""
        arg_types = [f.type for f in pa.Schema._import_from_c_capsule(types_capsule)]
        strategy, reason = self.analysis.strategy, self.analysis.reason
        if strategy not in (BATCH, INTERPRETED):
            key = (self.code_key, strategy, tuple(str(t) for t in arg_types), str(self.options.returns),
                   self.options.handles_nulls)
            kernel = self._kernel(key, arg_types)
            if isinstance(kernel, tuple):
                strategy, reason = INTERPRETED, kernel[1]
            else:
                self._chose(arg_types, f"{strategy} ({reason}) -> {kernel.output_type}"
                            f"{', loaded from disk cache' if kernel.from_disk else ''}")
                out = pa.schema([pa.field("out", kernel.output_type)]).__arrow_c_schema__()
                return (kernel.address, out, self.options.handles_nulls, None, self._on_error, kernel)
        if strategy == BATCH:
            out_type = self.options.returns or self._probe_batch_type(arg_types)
            self._chose(arg_types, f"{BATCH} ({reason}) -> {out_type}")
            return (0, pa.schema([pa.field("out", out_type)]).__arrow_c_schema__(), False,
                    self._batch_host(out_type), None, None)
        out_type = self.options.returns or self._probe_row_type(arg_types)
        self._chose(arg_types, f"{INTERPRETED} ({reason}) -> {out_type}")
        host = self._array_host(out_type) if self.analysis.strategy == GUVECTORIZE else self._row_host(out_type)
        return (0, pa.schema([pa.field("out", out_type)]).__arrow_c_schema__(), self.options.handles_nulls,
                host, None, None)

    def _chose(self, arg_types: list[pa.DataType], text: str) -> None:
        with _lock:
            self.chosen[", ".join(str(t) for t in arg_types)] = text

    def _kernel(self, key: tuple, arg_types: list[pa.DataType]) -> Any:
        with _lock:
            if key in _kernels:
                _kernels.move_to_end(key)
                _stats["memory_hits"] += 1
                return _kernels[key]
        try:
            kernel = compile_kernel(self.fn, self.analysis.strategy, arg_types, self.options.returns,
                                    self.options.handles_nulls, self.code_key)
        except CompileError as e:
            reason = f"numba could not compile it for ({', '.join(map(str, arg_types))}): {e}"
            warnings.warn(UdfWarning(f"UDF {self.label} ({self.where()}) runs interpreted, row by row in Python "
                                     f"(slow): {reason}"), stacklevel=2)
            kernel = (INTERPRETED, reason)
            counter = "interpreted"
        else:
            counter = "disk_hits" if kernel.from_disk else "compiled"
        with _lock:
            _stats[counter] += 1
            if not isinstance(kernel, tuple):
                _stats["compile_ms"] += kernel.compile_ms
            _kernels[key] = kernel
            while len(_kernels) > MEMORY_CACHE_SIZE:
                _kernels.popitem(last=False)
        return kernel

    # -- host (Python) kernels ----------------------------------------------------------
    def _call(self, args: tuple, row: int | None) -> Any:
        try:
            return self.fn(*args)
        except Exception as e:
            inputs = ", ".join(f"{p}={v!r}" for p, v in zip(self.analysis.params, args))
            at = f"row {row} of a batch" if row is not None else "a batch"
            e.add_note(f"in UDF {self.label} ({self._failing_line(e)}) on {at}" +
                       (f" with {inputs}" if row is not None else ""))
            raise

    def _failing_line(self, e: BaseException) -> str:
        tb, line = e.__traceback__, None
        while tb is not None:
            if tb.tb_frame.f_code is self.fn.__code__:
                line = tb.tb_lineno
            tb = tb.tb_next
        return f"{self.fn.__code__.co_filename}:{line or self.fn.__code__.co_firstlineno}"

    def _row_host(self, out_type: pa.DataType) -> Callable:
        handles_nulls = self.options.handles_nulls

        def run(schema_capsule, array_capsule):
            batch = pa.RecordBatch._import_from_c_capsule(schema_capsule, array_capsule)
            columns = [_py_values(c) for c in batch.columns]
            out = []
            for i, row in enumerate(zip(*columns)):
                if not handles_nulls and any(v is None for v in row):
                    out.append(None)
                else:
                    out.append(self._call(row, i))
            try:
                array = pa.array(out, type=out_type)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as e:
                found = sorted({type(v).__name__ for v in out if v is not None})
                raise TypeError(f"UDF {self.label} ({self.where()}) returned {', '.join(found)} values where its "
                                f"result type is {out_type}: {e}") from e
            return _one_column(array)
        return run

    def _array_host(self, out_type: pa.DataType) -> Callable:
        def run(schema_capsule, array_capsule):
            batch = pa.RecordBatch._import_from_c_capsule(schema_capsule, array_capsule)
            result = self._call(tuple(c.to_numpy(zero_copy_only=False) for c in batch.columns), None)
            return _one_column(_as_array(result, batch.num_rows, out_type, self.label))
        return run

    def _batch_host(self, out_type: pa.DataType) -> Callable:
        def run(schema_capsule, array_capsule):
            batch = pa.RecordBatch._import_from_c_capsule(schema_capsule, array_capsule)
            result = self._call(tuple(batch.columns), None)
            return _one_column(_as_array(result, batch.num_rows, out_type, self.label))
        return run

    def _probe_batch_type(self, arg_types: list[pa.DataType]) -> pa.DataType:
        try:
            result = self.fn(*[pa.array([], type=t) for t in arg_types])
            return _as_array(result, 0, None, self.label).type
        except Exception as e:
            e.add_note(f"calling UDF {self.label} ({self._failing_line(e)}) on empty columns to learn its result "
                       f"type failed; declare it to skip this: @sabot.udf(returns=pa.float64())")
            raise

    def _probe_row_type(self, arg_types: list[pa.DataType]) -> pa.DataType:
        if self.analysis.strategy == GUVECTORIZE:
            import numpy as np

            samples = tuple(np.ones(1, dtype=_sample_dtype(t)) for t in arg_types)
        else:
            samples = tuple(_sample(t) for t in arg_types)
        try:
            result = self.fn(*samples)
            return _as_array(result if self.analysis.strategy == GUVECTORIZE else [result], 1, None, self.label).type
        except Exception as e:
            e.add_note(f"calling UDF {self.label} ({self._failing_line(e)}) on sample values {samples!r} to learn "
                       f"its result type failed; declare it to skip this: @sabot.udf(returns=pa.float64())")
            raise

    def _on_error(self, schema_capsule: Any, array_capsule: Any, row: int) -> str:
        """A compiled kernel failed: re-run in Python to raise the real exception."""
        batch = pa.RecordBatch._import_from_c_capsule(schema_capsule, array_capsule)
        if row == -2:
            return (f"UDF {self.label} ({self.where()}) returned a different number of values than the "
                    f"{batch.num_rows} rows it got")
        if row < 0:
            self._call(tuple(c.to_numpy(zero_copy_only=False) for c in batch.columns), None)
        else:
            args = tuple(_py_values(c.slice(row, 1))[0] for c in batch.columns)
            self._call(args, row)
        return (f"UDF {self.label} ({self.where()}) failed in compiled code on row {row}, "
                f"but not when re-run in Python")


def _py_values(column: pa.Array) -> list:
    """Python values as compiled UDFs see them: dates, timestamps and durations as
    the integers of their unit."""
    t = column.type
    if pa.types.is_date32(t):
        column = column.view(pa.int32())
    elif pa.types.is_date64(t) or pa.types.is_timestamp(t) or pa.types.is_duration(t):
        column = column.view(pa.int64())
    return column.to_pylist()


def _sample(t: pa.DataType) -> Any:
    if pa.types.is_boolean(t):
        return True
    if pa.types.is_floating(t):
        return 1.0
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "a"
    return 1


def _sample_dtype(t: pa.DataType) -> str:
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_floating(t):
        return "float64"
    return "int64"


def _as_array(result: Any, rows: int, out_type: pa.DataType | None, label: str) -> pa.Array:
    if isinstance(result, pa.ChunkedArray):
        result = result.combine_chunks()
    elif not isinstance(result, pa.Array):
        if hasattr(result, "to_arrow"):  # polars Series
            result = result.to_arrow()
        elif type(result).__module__.startswith("pandas"):
            result = pa.Array.from_pandas(result)
        else:
            result = pa.array(result)
        if isinstance(result, pa.ChunkedArray):
            result = result.combine_chunks()
    if len(result) != rows:
        raise ValueError(f"UDF {label} returned {len(result)} values for {rows} rows")
    if out_type is not None and result.type != out_type:
        result = result.cast(out_type)
    return result


def _one_column(array: pa.Array) -> Any:
    return pa.record_batch([array], names=["out"]).__arrow_c_array__()


# -- identity of a UDF --------------------------------------------------------------------
def _fingerprint(value: Any, depth: int = 0) -> str:
    if depth > 4:
        return "..."
    if isinstance(value, types.CodeType):
        consts = ",".join(_fingerprint(c, depth + 1) for c in value.co_consts)
        return f"code({value.co_code.hex()}|{consts}|{value.co_names}|{value.co_varnames}|{value.co_freevars})"
    if isinstance(value, types.FunctionType):
        return f"fn({_function_key(value, depth + 1)})"
    if isinstance(value, types.ModuleType):
        return f"module({value.__name__})"
    if isinstance(value, (int, float, str, bytes, bool, type(None), tuple, frozenset)):
        return f"{type(value).__name__}({value!r})"
    if hasattr(value, "py_func"):  # a numba dispatcher the UDF calls
        return f"jit({_function_key(value.py_func, depth + 1)})"
    return f"{type(value).__module__}.{type(value).__qualname__}@{id(value)}"


def _function_key(fn: Callable, depth: int = 0) -> str:
    code = fn.__code__
    parts = [fn.__qualname__, _fingerprint(code, depth)]
    for name in code.co_freevars:
        parts.append(f"{name}={_fingerprint(resolve(fn, name), depth)}")
    for name in sorted(set(code.co_names)):
        if name in fn.__globals__:
            parts.append(f"{name}={_fingerprint(fn.__globals__[name], depth)}")
    return "|".join(parts)


def code_key(fn: Callable) -> str:
    """Same code, closure values and referenced constants: same key."""
    return hashlib.sha256(_function_key(fn).encode()).hexdigest()


def register(fn: Callable, options: UdfOptions) -> RegisteredUdf:
    if options.strategy is not None and options.strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, not {options.strategy!r}")
    key_text = "|".join([code_key(fn), str(options.returns), str(options.handles_nulls), str(options.strategy),
                         str(options.name)])
    key = hashlib.sha256(key_text.encode()).hexdigest()
    with _lock:
        found = _by_key.get(key)
        if found is not None:
            return found
    analysis = analyse(fn)
    if options.strategy is not None:
        analysis = Analysis(options.strategy, "chosen with @sabot.udf(strategy=...)", analysis.params)
    label = options.name or getattr(fn, "__name__", "udf")
    name = f"udf_{re.sub(r'[^0-9A-Za-z_]', '_', label).strip('_') or 'lambda'}_{key[:8]}"
    registered = RegisteredUdf(fn, options, analysis, key, name)
    with _lock:
        if key in _by_key:
            return _by_key[key]
        if not _core.is_registered_udf(name):
            _core.register_udf(name, len(analysis.params), registered.specialize,
                               f"Python UDF {registered.label}")
        _by_key[key] = registered
        _by_name[name] = registered
    return registered


def note_batch_function(label: str, fn: Callable) -> None:
    """A map_batches function: shown by explain as the batch strategy."""
    code = getattr(fn, "__code__", None)
    where = f"{code.co_filename}:{code.co_firstlineno}" if code is not None else repr(fn)
    with _lock:
        _batch_functions[label] = where


def explain_lines(plan_text: str) -> list[str]:
    """One line per UDF named in a plan's text: where it is defined and how it runs."""
    lines = []
    with _lock:
        plan_lines = {line.strip() for line in plan_text.splitlines()}
        for label, where in _batch_functions.items():
            if f"MapBatches {label}" in plan_lines:
                lines.append(f"map_batches {label} at {where}: {BATCH} (RecordBatch in, RecordBatch out: "
                             f"runs untouched, with the GIL)")
        for name, reg in _by_name.items():
            if name not in plan_text:
                continue
            params = ", ".join(reg.analysis.params)
            head = f"{name} = {reg.label}({params}) at {reg.where()}"
            if reg.chosen:
                for arg_types, text in reg.chosen.items():
                    lines.append(f"{head} [{arg_types}]: {text}")
            else:
                lines.append(f"{head}: {reg.analysis.strategy} planned ({reg.analysis.reason}); "
                             f"compiled when the column types are known")
    return lines
