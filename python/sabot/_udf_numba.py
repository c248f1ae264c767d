"""Compiles a Python UDF with Numba into a C function over column buffers.

The kernel follows the ABI of ``NativeUdfFn`` (cpp/sabot/expr/udf_function.h)::

    int64 kernel(int64 n, void** buffers, int64* params)

For each argument i, buffers[3i] is its validity (bytes), [3i+1] its values, [3i+2]
its utf8 offsets; [3n] is the output validity and [3n+1] the output values. An
exception inside the UDF stops the kernel, which returns 1 with the row in params[0];
the engine then re-runs that row in Python to report the real exception.

The kernel's source is generated into the cache folder (``$SABOT_UDF_CACHE_DIR``,
default ``~/.cache/sabot/udf``) under a name hashed from the UDF's code, closure,
argument types and options, and compiled with ``cache=True``, so a second run of a
job loads machine code from disk instead of compiling; a sidecar JSON keeps the
output type so nothing is type-inferred on that path.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pyarrow as pa

from ._udf_analysis import GUVECTORIZE

# Bumped when the generated kernels change shape, so stale cache entries are ignored.
KERNEL_VERSION = 3


class CompileError(Exception):
    """Numba cannot compile the UDF for these types; the message says why."""


@dataclass
class CompiledKernel:
    cfunc: Any  # owns the machine code; must outlive every use of `address`
    address: int
    output_type: pa.DataType
    from_disk: bool
    compile_ms: float


def cache_dir() -> Path:
    path = Path(os.environ.get("SABOT_UDF_CACHE_DIR") or Path.home() / ".cache" / "sabot" / "udf")
    try:
        path.mkdir(parents=True, exist_ok=True)
        if os.access(path, os.W_OK):
            return path
    except OSError:
        pass
    # A read-only home (containers) still gets a cache, if only for this machine's session.
    import tempfile

    fallback = Path(tempfile.gettempdir()) / f"sabot-udf-{os.getuid()}"
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


@dataclass(frozen=True)
class _Arg:
    dtype: str     # NumPy dtype of the values buffer
    kind: str      # "num", "bool" or "str"


def _arg(t: pa.DataType) -> _Arg:
    if pa.types.is_boolean(t):
        return _Arg("uint8", "bool")
    if pa.types.is_integer(t) or (pa.types.is_floating(t) and not pa.types.is_float16(t)):
        import numpy as np

        return _Arg(np.dtype(t.to_pandas_dtype()).name, "num")
    if pa.types.is_date32(t):
        return _Arg("int32", "num")
    if pa.types.is_date64(t) or pa.types.is_timestamp(t) or pa.types.is_duration(t):
        return _Arg("int64", "num")  # the integer in the column's unit
    if pa.types.is_string(t):
        return _Arg("", "str")
    raise CompileError(f"{t} columns are not compiled (compiled UDFs take numbers, booleans, dates, "
                       f"timestamps, durations and strings)")


def _output_dtype(t: pa.DataType) -> str:
    a = _arg(t)
    if a.kind == "str":
        raise CompileError("string results are not compiled")
    return a.dtype


def _to_arrow(nb_type: Any) -> pa.DataType:
    from numba import types

    if isinstance(nb_type, types.Optional):
        nb_type = nb_type.type
    if isinstance(nb_type, types.Array):
        if nb_type.ndim != 1:
            raise CompileError(f"it returns a {nb_type.ndim}-d array; a column needs 1-d")
        nb_type = nb_type.dtype
    if isinstance(nb_type, types.Boolean):
        return pa.bool_()
    if isinstance(nb_type, (types.Integer, types.Float)):
        import numpy as np

        return pa.from_numpy_dtype(np.dtype(str(nb_type)))
    if isinstance(nb_type, types.UnicodeType):
        raise CompileError("string results are not compiled")
    raise CompileError(f"its result type {nb_type} has no column type; declare returns= or return numbers")


def _numba_arg_types(args: list[_Arg], strategy: str, handles_nulls: bool) -> tuple:
    from numba import types

    out = []
    for a in args:
        if strategy == GUVECTORIZE:
            if a.kind == "str":
                raise CompileError("string columns are not compiled as arrays")
            dtype = types.boolean if a.kind == "bool" else getattr(types, a.dtype)
            out.append(types.Array(dtype, 1, "C"))
            continue
        t = types.unicode_type if a.kind == "str" else types.boolean if a.kind == "bool" else getattr(types, a.dtype)
        out.append(types.Optional(t) if handles_nulls else t)
    return tuple(out)


def _kernel_source(args: list[_Arg], out_dtype: str, strategy: str, handles_nulls: bool) -> str:
    n = len(args)
    lines = ["import numpy as np", "from numba import carray"]
    if any(a.kind == "str" for a in args):
        lines.append("from sabot._udf_strings import utf8_to_str")
    lines += ["", "fn = None  # the UDF's dispatcher, set before compiling", "", "", "def kernel(n, bufs, params):"]
    exprs = []
    for k, a in enumerate(args):
        if a.kind == "str":
            lines.append(f"    o{k} = carray(bufs[{3 * k + 2}], n + 1, np.int32)")
            lines.append(f"    d{k} = carray(bufs[{3 * k + 1}], o{k}[n], np.uint8)")
            value = f"utf8_to_str(d{k}, o{k}[i], o{k}[i + 1])"
        else:
            lines.append(f"    v{k} = carray(bufs[{3 * k + 1}], n, np.{a.dtype})")
            if strategy == GUVECTORIZE:
                value = f"v{k} != 0" if a.kind == "bool" else f"v{k}"
            else:
                value = f"v{k}[i] != 0" if a.kind == "bool" else f"v{k}[i]"
        if handles_nulls:
            lines.append(f"    m{k} = carray(bufs[{3 * k}], n, np.uint8)")
            value = f"({value} if params[{1 + k}] == 0 or m{k}[i] != 0 else None)"
        exprs.append(value)
    call = f"fn({', '.join(exprs)})"
    lines.append(f"    out = carray(bufs[{3 * n + 1}], n, np.{out_dtype})")
    lines.append(f"    om = carray(bufs[{3 * n}], n, np.uint8)")
    if strategy == GUVECTORIZE:
        lines += ["    try:", f"        r = {call}", "    except Exception:", "        params[0] = -1", "        return 1",
                  "    if len(r) != n:", "        params[0] = -2", "        return 1",
                  "    for i in range(n):", "        out[i] = r[i]", "    return 0"]
        return "\n".join(lines) + "\n"
    lines += ["    i = 0", "    try:"]
    if handles_nulls:
        lines += ["        while i < n:", f"            r = {call}", "            if r is None:", "                om[i] = 0",
                  "            else:", "                out[i] = r", "            i += 1"]
    else:
        # Two loops: the one without nulls has no per-row test, so LLVM can vectorize it.
        lines += [f"        if params[{1 + n}] != 0:", "            while i < n:", "                if om[i] != 0:",
                  f"                    out[i] = {call}", "                i += 1", "        else:",
                  "            while i < n:", f"                out[i] = {call}", "                i += 1"]
    lines += ["    except Exception:", "        params[0] = i", "        return 1", "    return 0"]
    return "\n".join(lines) + "\n"


def _njit(fn: Callable) -> Any:
    """The UDF's dispatcher, without Numba's own disk cache: that cache keys functions
    by name and line, so two lambdas on one line would share an entry. The kernel's
    cache (keyed by the UDF's code) holds the UDF's machine code anyway."""
    from numba import njit

    return njit(error_model="python")(fn)


def _load_module(path: Path, name: str):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    # Numba's cache finds the kernel's module by name when it loads machine code.
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        # Not left behind half made: the next load would return it without its kernel.
        del sys.modules[name]
        raise
    return module


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def compile_kernel(fn: Callable, strategy: str, arg_types: list[pa.DataType], returns: pa.DataType | None,
                   handles_nulls: bool, code_key: str) -> CompiledKernel:
    """Raises CompileError when Numba cannot compile `fn` for these types."""
    started = time.perf_counter()
    args = [_arg(t) for t in arg_types]
    if strategy == GUVECTORIZE and handles_nulls:
        raise CompileError("array UDFs cannot handle nulls themselves")
    digest = hashlib.sha256(json.dumps([KERNEL_VERSION, code_key, strategy, [str(t) for t in arg_types],
                                        str(returns), handles_nulls, sys.version_info[:2]]).encode()).hexdigest()[:24]
    folder = cache_dir()
    kernel_path, meta_path = folder / f"k_{digest}.py", folder / f"k_{digest}.json"
    meta = None
    if kernel_path.exists() and meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            meta = None
    # With `meta` on disk, the kernel's machine code, the UDF's included, comes from
    # Numba's disk cache; the UDF is compiled only if that cache turns out stale.
    dispatcher = _njit(fn)
    if meta is None:
        nb_args = _numba_arg_types(args, strategy, handles_nulls)
        try:
            dispatcher.compile(nb_args)
            nb_return = dispatcher.overloads[nb_args].signature.return_type
        except CompileError:
            raise
        except Exception as e:  # noqa: BLE001 - numba's typing and lowering errors
            raise CompileError(_first_line(e)) from None
        output_type = returns if returns is not None else _to_arrow(nb_return)
        if strategy == GUVECTORIZE and not _is_array(nb_return):
            raise CompileError(f"it returns {nb_return}, not an array with one value per row")
        if strategy != GUVECTORIZE and _is_array(nb_return):
            raise CompileError("it returns an array for one row")
        meta = {"output_type": _type_text(output_type)}
        _write_atomically(kernel_path, _kernel_source(args, _output_dtype(output_type), strategy, handles_nulls))
        _write_atomically(meta_path, json.dumps(meta))
    output_type = _parse_type(meta["output_type"])
    module = _load_module(kernel_path, f"sabot_udf_kernel_{digest}")
    module.fn = dispatcher
    from numba import cfunc, types

    signature = types.int64(types.int64, types.CPointer(types.voidptr), types.CPointer(types.int64))
    try:
        compiled = cfunc(signature, cache=True, error_model="python")(module.kernel)
    except Exception as e:  # noqa: BLE001 - e.g. a cast numba refuses between result and column type
        raise CompileError(_first_line(e)) from None
    return CompiledKernel(compiled, compiled.address, output_type, compiled._cache_hits > 0,
                          (time.perf_counter() - started) * 1e3)


def _is_array(nb_type: Any) -> bool:
    from numba import types

    return isinstance(nb_type, types.Array)


def _type_text(t: pa.DataType) -> str:
    return pa.schema([pa.field("x", t)]).serialize().to_pybytes().hex()


def _parse_type(text: str) -> pa.DataType:
    return pa.ipc.read_schema(pa.py_buffer(bytes.fromhex(text))).field(0).type


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("During:", "File ", "Failed in")):
            return f"{type(e).__name__}: {line}"
    return type(e).__name__
