"""How to run a Python UDF, read off its source (AST) and the names it uses.

* ``batch``: it calls pyarrow, pandas or polars, so it already works on whole
  columns; it runs untouched (with the GIL) on pyarrow arrays.
* ``vectorize``: NumPy code that is element-wise (ufuncs, arithmetic, comparisons,
  no indexing, no reductions): compiled per element, as ``numba.vectorize`` would.
* ``guvectorize``: other NumPy array code (indexing, reductions, cumulative sums):
  compiled over whole columns, one call per batch, as ``numba.guvectorize`` would.
* ``njit``: scalar code (arithmetic, branches, loops, ``math``): compiled with
  ``numba.njit`` into a loop over the rows.
Compilation that fails turns any compiled strategy into ``interpreted``.
"""
from __future__ import annotations

import ast
import builtins
import inspect
import textwrap
import types
from dataclasses import dataclass
from typing import Any, Callable

NJIT, VECTORIZE, GUVECTORIZE, BATCH, INTERPRETED = "njit", "vectorize", "guvectorize", "batch", "interpreted"
STRATEGIES = (NJIT, VECTORIZE, GUVECTORIZE, BATCH, INTERPRETED)

_FRAME_LIBRARIES = ("pyarrow", "pandas", "polars")
# Methods of arrays that reduce or reshape, so the code is not element-wise.
_ARRAY_METHODS = {"sum", "mean", "min", "max", "std", "var", "cumsum", "cumprod", "prod", "argmin", "argmax",
                  "sort", "argsort", "reshape", "copy", "any", "all", "dot", "astype"}


@dataclass(frozen=True)
class Analysis:
    strategy: str
    reason: str
    params: tuple[str, ...]


def parameters(fn: Callable) -> tuple[str, ...]:
    """The column names a UDF reads: its positional parameters, in order."""
    sig = inspect.signature(fn)
    names = []
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise TypeError(f"UDF {_name(fn)} has *{p.name}: name each column it reads as a parameter")
        if p.kind is p.KEYWORD_ONLY:
            continue
        names.append(p.name)
    if not names:
        raise TypeError(f"UDF {_name(fn)} takes no parameters: name the columns it reads, e.g. def f(price, qty)")
    return tuple(names)


def analyse(fn: Callable) -> Analysis:
    params = parameters(fn)
    node = _function_node(fn)
    libraries = _libraries_used(fn, node)
    frame = sorted(lib for lib in libraries if lib in _FRAME_LIBRARIES)
    if frame:
        return Analysis(BATCH, f"calls {', '.join(frame)}: runs as a batch function, untouched", params)
    if "numpy" in libraries:
        blocker = _not_elementwise(fn, node)
        if blocker is None:
            return Analysis(VECTORIZE, "element-wise NumPy code: compiled per element", params)
        return Analysis(GUVECTORIZE, f"NumPy array code ({blocker}): compiled over whole columns", params)
    shape = _control_flow(node)
    return Analysis(NJIT, f"scalar code{shape}: compiled into a loop over rows", params)


def _name(fn: Callable) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)


def _walk(node: ast.AST) -> list[ast.AST]:
    """The nodes of a function's parameters and body, not of its decorators."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return [n for part in (node.args, *node.body) for n in ast.walk(part)]
    return list(ast.walk(node))


def _function_node(fn: Callable) -> ast.AST | None:
    """The def or lambda of `fn` in its source, or None when there is no source."""
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        return None
    tree = None
    # A lambda's source is the whole line it sits on, which may not parse alone.
    for candidate in (source, source.strip().rstrip(",)") if "lambda" in source else None):
        if candidate is None:
            continue
        try:
            tree = ast.parse(candidate)
            break
        except SyntaxError:
            continue
    if tree is None and "lambda" in source:
        text = source[source.index("lambda"):][:2_000]
        for end in range(len(text), 0, -1):
            try:
                tree = ast.parse(text[:end], mode="eval")
                break
            except SyntaxError:
                continue
    if tree is None:
        return None
    name = getattr(fn, "__name__", "")
    lambdas = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return node
        if isinstance(node, ast.Lambda):
            lambdas.append(node)
    # Several lambdas may share a line: the one whose compiled code is fn's.
    params = set(parameters(fn))
    candidates = [lam for lam in lambdas if {a.arg for a in lam.args.args} == params]
    for lam in candidates:
        if _same_code(lam, fn.__code__):
            return lam
    return candidates[0] if candidates else None


def _same_code(lam: ast.Lambda, code: types.CodeType) -> bool:
    try:
        compiled = compile(ast.Expression(lam), "<udf>", "eval")
    except (SyntaxError, ValueError):
        return False
    inner = next((c for c in compiled.co_consts if isinstance(c, types.CodeType)), None)
    return inner is not None and inner.co_code == code.co_code and inner.co_names == code.co_names


def resolve(fn: Callable, name: str) -> Any:
    """What a global or free name of `fn` refers to (closure, module globals, builtins)."""
    code = fn.__code__
    if fn.__closure__ and name in code.co_freevars:
        try:
            return fn.__closure__[code.co_freevars.index(name)].cell_contents
        except ValueError:  # an empty cell
            return None
    if name in fn.__globals__:
        return fn.__globals__[name]
    return getattr(builtins, name, None)


def _library_of(value: Any) -> str | None:
    if isinstance(value, types.ModuleType):
        return value.__name__.split(".")[0]
    module = getattr(value, "__module__", None) or getattr(type(value), "__module__", None)
    if isinstance(module, str):
        root = module.split(".")[0]
        if root in _FRAME_LIBRARIES or root == "numpy":
            return root
    return None


def _libraries_used(fn: Callable, node: ast.AST | None) -> set[str]:
    names = set(fn.__code__.co_names) | set(fn.__code__.co_freevars)
    for const in fn.__code__.co_consts:  # nested comprehensions keep their own names
        if isinstance(const, types.CodeType):
            names |= set(const.co_names)
    if node is not None:
        names |= {n.id for n in _walk(node) if isinstance(n, ast.Name)}
    found = set()
    for name in names:
        lib = _library_of(resolve(fn, name))
        if lib is not None:
            found.add(lib)
    # Methods such as .to_pandas() / .to_numpy() name a library too.
    if node is not None:
        for n in _walk(node):
            if isinstance(n, ast.Attribute) and n.attr in ("to_pandas", "to_pylist", "to_polars"):
                found.add("pyarrow")
    return found


def _not_elementwise(fn: Callable, node: ast.AST | None) -> str | None:
    """Why NumPy code is not element-wise, or None when it is."""
    import numpy as np

    if node is None:
        return "no source to inspect"
    for n in _walk(node):
        if isinstance(n, ast.Subscript):
            return "indexing"
        if isinstance(n, (ast.For, ast.While, ast.comprehension)):
            return "loops"
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
            owner = n.func.value
            lib = _library_of(resolve(fn, owner.id)) if isinstance(owner, ast.Name) else None
            if lib == "numpy":
                member = getattr(np, n.func.attr, None)
                if not isinstance(member, np.ufunc):
                    return f"np.{n.func.attr} is not element-wise"
            elif n.func.attr in _ARRAY_METHODS:
                return f".{n.func.attr}() works on the whole array"
    return None


def _control_flow(node: ast.AST | None) -> str:
    if node is None:
        return ""
    kinds = []
    nodes = _walk(node)
    if any(isinstance(n, (ast.For, ast.While)) for n in nodes):
        kinds.append("loops")
    if any(isinstance(n, (ast.If, ast.IfExp)) for n in nodes):
        kinds.append("branches")
    return f" with {' and '.join(kinds)}" if kinds else ""
