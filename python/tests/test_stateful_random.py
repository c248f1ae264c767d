"""Randomized plans over the stateful operators (hash join, hash aggregate, sort, top-k,
distinct), each compared with DuckDB running the same query on the same Arrow tables.

Every case is one seed: it draws tables (keys of int32/int64/string/date32 with few
distinct values, so duplicates abound, and about 10% nulls in keys and values) and a
plan: an optional join of any type on 1-2 keys (sometimes with a residual), optional
filters, an optional group-by with 0-2 keys and random aggregates, an optional HAVING
filter, an optional distinct, and an optional sort or top-k. The same plan is written
in SQL. A failure message carries the seed, Sabot's plan and the SQL; rerun one case
with ``SABOT_RANDOM_SEEDS=17 pytest python/tests/test_stateful_random.py``, or many more
with ``SABOT_RANDOM_SEEDS=0-2999`` (about 60 s).

Float values are multiples of 0.25, so sums are exact in any order; only mean, var and
stddev are compared with a tolerance, and they are never used as sort, distinct or
filter columns (a last-bit difference could flip a comparison).
"""
from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass, field
from decimal import Decimal

import duckdb
import numpy as np
import pyarrow as pa
import pytest

import sabot
from sabot import agg, col, lit

DEFAULT_SEEDS = list(range(200))


def _seeds_from_env(text: str) -> list[int]:
    """SABOT_RANDOM_SEEDS: one seed "17", a list "1,5,9" or a range "0-2999"."""
    if "-" in text:
        low, high = text.split("-")
        return list(range(int(low), int(high) + 1))
    return [int(x) for x in text.split(",") if x]


SEEDS = _seeds_from_env(os.environ.get("SABOT_RANDOM_SEEDS", "")) or DEFAULT_SEEDS

KEY_KINDS = ["int32", "int64", "string", "date"]
STRINGS = ["", "a", "ab", "b", "ba", "c", "zz", "é"]
DATE0 = dt.date(2024, 2, 27)  # keys straddle a month end
ARROW_TYPES = {"int32": pa.int32(), "int64": pa.int64(), "float": pa.float64(), "string": pa.string(),
               "date": pa.date32()}

# Engine bugs found by this test and not fixed yet: seed -> reason (run as strict xfail).
KNOWN_BUGS: dict[int, str] = {}


@dataclass
class Column:
    name: str
    kind: str            # int32, int64, float, string, date
    exact: bool = True   # False: computed with rounding (mean, var, stddev)


@dataclass
class Plan:
    """A Sabot stream and the same query in SQL, with what is known about its output."""
    stream: sabot.Stream
    sql: str
    columns: list[Column]
    ordered: bool                 # rows in source order, `id` their position (first/last allowed)
    unique: list[str] | None      # columns unique per row together; [] = at most one row
    steps: list[str] = field(default_factory=list)

    def exact_columns(self) -> list[Column]:
        return [c for c in self.columns if c.exact]

    def kind_of(self, name: str) -> str:
        return next(c.kind for c in self.columns if c.name == name)


# -- data ------------------------------------------------------------------------------

def gen_values(rng: np.random.Generator, kind: str, n: int, distinct: int, null_frac: float = 0.1) -> pa.Array:
    mask = rng.random(n) < null_frac
    if kind in ("int32", "int64"):
        values = rng.integers(-2, distinct - 2, n)
        return pa.array(values, ARROW_TYPES[kind], mask=mask)
    if kind == "float":
        return pa.array(rng.integers(-4 * distinct, 4 * distinct, n) / 4.0, pa.float64(), mask=mask)
    if kind == "string":
        vocab = np.array(STRINGS[:max(2, min(distinct, len(STRINGS)))], dtype=object)
        return pa.array(vocab[rng.integers(0, len(vocab), n)].tolist(), pa.string(), mask=mask)
    if kind == "date":
        days = (DATE0 - dt.date(1970, 1, 1)).days + rng.integers(0, distinct, n)
        return pa.array(days.astype(np.int32), pa.date32(), mask=mask)
    raise AssertionError(kind)


def rechunk(rng: np.random.Generator, table: pa.Table) -> pa.Table:
    """Several batches (some of one row) so operators see batch boundaries."""
    if table.num_rows == 0 or rng.random() < 0.3:
        return table
    size = int(rng.choice([1, 3, 7, 16, 64]))
    return pa.Table.from_batches(table.to_batches(max_chunksize=size), schema=table.schema)


def gen_rows(rng: np.random.Generator, large: bool, right: bool) -> int:
    if rng.random() < 0.06:
        return 0
    if large:
        return 120 if right else 3000
    return int(rng.integers(1, 40 if right else 120))


# -- literals and predicates -------------------------------------------------------------

def random_literal(rng: np.random.Generator, kind: str):
    if kind in ("int32", "int64"):
        return int(rng.integers(-3, 8))
    if kind == "float":
        return float(rng.integers(-20, 20)) / 4.0
    if kind == "string":
        return str(rng.choice(STRINGS))
    return DATE0 + dt.timedelta(days=int(rng.integers(0, 5)))


def sql_literal(value) -> str:
    if isinstance(value, bool):
        raise AssertionError(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"CAST({value!r} AS DOUBLE)"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    raise AssertionError(value)


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


CMP = [("<", "__lt__"), ("<=", "__le__"), (">", "__gt__"), (">=", "__ge__"), ("=", "__eq__"), ("<>", "__ne__")]


def random_predicate(rng: np.random.Generator, columns: list[Column], depth: int = 0):
    """(sabot Expr, SQL text) over exact columns."""
    roll = rng.random()
    if depth < 1 and roll < 0.25:
        a, a_sql = random_predicate(rng, columns, depth + 1)
        b, b_sql = random_predicate(rng, columns, depth + 1)
        if rng.random() < 0.5:
            return a & b, f"({a_sql} AND {b_sql})"
        return a | b, f"({a_sql} OR {b_sql})"
    if depth < 1 and roll < 0.32:
        a, a_sql = random_predicate(rng, columns, depth + 1)
        return ~a, f"(NOT {a_sql})"
    c = columns[int(rng.integers(len(columns)))]
    if rng.random() < 0.12:
        if rng.random() < 0.5:
            return col(c.name).is_null(), f"({q(c.name)} IS NULL)"
        return col(c.name).is_valid(), f"({q(c.name)} IS NOT NULL)"
    op_sql, op = CMP[int(rng.integers(len(CMP)))]
    value = random_literal(rng, c.kind)
    return getattr(col(c.name), op)(lit(value)), f"({q(c.name)} {op_sql} {sql_literal(value)})"


def maybe_filter(rng: np.random.Generator, plan: Plan, chance: float, label: str) -> Plan:
    candidates = plan.exact_columns()
    if rng.random() >= chance or not candidates:
        return plan
    pred, pred_sql = random_predicate(rng, candidates)
    return Plan(plan.stream.filter(pred), f"SELECT * FROM ({plan.sql}) AS q WHERE {pred_sql}", plan.columns,
                plan.ordered, plan.unique, plan.steps + [f"{label} {pred_sql}"])


# -- sources and join --------------------------------------------------------------------

def source_plan(table: pa.Table, name: str, columns: list[Column]) -> Plan:
    return Plan(sabot.from_arrow(table, name=name), f"SELECT * FROM {name}", columns, True, ["id"],
                [f"source {name} ({table.num_rows} rows)"])


def make_tables(rng: np.random.Generator, duck: duckdb.DuckDBPyConnection, join: bool):
    """The left table t0 and, for joins, the right table t1 (registered in DuckDB)."""
    large = join and rng.random() < 0.06
    n_keys = int(rng.integers(1, 3))
    left_kinds = [KEY_KINDS[int(rng.integers(len(KEY_KINDS)))] for _ in range(n_keys)]
    distinct = [int(rng.integers(2, 7)) for _ in range(n_keys)]

    def build(n, names, kinds, value_names):
        data = {names[0]: pa.array(np.arange(n, dtype=np.int64))}
        for name, kind, d in zip(names[1:], kinds, distinct):
            data[name] = gen_values(rng, kind, n, d)
        for name, kind in value_names:
            data[name] = gen_values(rng, kind, n, 12)
        table = rechunk(rng, pa.table(data))
        cols = [Column(names[0], "int64")] + [Column(nm, k) for nm, k in zip(names[1:], kinds)]
        cols += [Column(nm, k) for nm, k in value_names]
        return table, cols

    n_left = gen_rows(rng, large, right=False)
    left_names = ["id"] + [f"k{i}" for i in range(n_keys)]
    left, left_cols = build(n_left, left_names, left_kinds, [("x", "int64"), ("y", "float"), ("s", "string")])
    duck.register("t0", left)
    if not join:
        return (left, left_cols), None, n_keys

    # Right keys: same types, or an int32/int64 pair (compared as int64).
    right_kinds = [{"int32": "int64", "int64": "int32"}.get(k, k) if rng.random() < 0.2 else k for k in left_kinds]
    clash = rng.random() < 0.6
    right_names = ["id" if clash else "rid"] + [(f"k{i}" if clash else f"rk{i}") for i in range(n_keys)]
    right_values = [("x" if rng.random() < 0.5 else "rx", "int64"), ("w", "float"),
                    ("s" if rng.random() < 0.5 else "rs", "string")]
    n_right = gen_rows(rng, large, right=True)
    right, right_cols = build(n_right, right_names, right_kinds, right_values)
    duck.register("t1", right)
    return (left, left_cols), (right, right_cols), n_keys


def join_plan(rng, left: Plan, right: Plan, n_keys: int) -> Plan:
    how = ["inner", "left", "right", "full", "semi", "anti"][int(rng.integers(6))]
    suffix = "_right" if rng.random() < 0.8 else "_r"
    left_keys = [f"k{i}" for i in range(n_keys)]
    right_keys = [c.name for c in right.columns[1:1 + n_keys]]
    # Output names: left columns, then right ones suffixed where they clash.
    left_names = {c.name for c in left.columns}
    right_out = {c.name: (c.name + suffix if c.name in left_names else c.name) for c in right.columns}

    on_sql = " AND ".join(f"l.{q(a)} = r.{q(b)}" for a, b in zip(left_keys, right_keys))
    residual = residual_sql = None
    if rng.random() < 0.35:
        # A comparison between a left and a right column of the same kind.
        pairs = [(lc, rc) for lc in left.columns for rc in right.columns
                 if lc.kind == rc.kind and lc.name != "id" and rc.name not in ("id", "rid")]
        lc, rc = pairs[int(rng.integers(len(pairs)))]
        op_sql, op = CMP[int(rng.integers(4))]
        residual = getattr(col(lc.name), op)(col(right_out[rc.name]))
        residual_sql = f"l.{q(lc.name)} {op_sql} r.{q(rc.name)}"
        if lc.kind in ("int64", "float") and rng.random() < 0.4:
            residual = (col(lc.name) + col(right_out[rc.name])) > lit(0)
            residual_sql = f"l.{q(lc.name)} + r.{q(rc.name)} > 0"
        on_sql += f" AND ({residual_sql})"

    if right_keys == left_keys and rng.random() < 0.5:
        stream = left.stream.join(right.stream, left_keys if n_keys > 1 else left_keys[0], how=how,
                                  where=residual, suffix=suffix)
    else:
        stream = left.stream.join(right.stream, how=how, left_on=left_keys, right_on=right_keys,
                                  where=residual, suffix=suffix)

    lsel = [f"l.{q(c.name)} AS {q(c.name)}" for c in left.columns]
    if how in ("semi", "anti"):
        exists = "EXISTS" if how == "semi" else "NOT EXISTS"
        sql = (f"SELECT {', '.join(lsel)} FROM ({left.sql}) AS l "
               f"WHERE {exists} (SELECT 1 FROM ({right.sql}) AS r WHERE {on_sql})")
        columns, unique = list(left.columns), ["id"]
    else:
        rsel = [f"r.{q(c.name)} AS {q(right_out[c.name])}" for c in right.columns]
        sql = (f"SELECT {', '.join(lsel + rsel)} FROM ({left.sql}) AS l "
               f"{how.upper()} JOIN ({right.sql}) AS r ON {on_sql}")
        columns = list(left.columns) + [Column(right_out[c.name], c.kind) for c in right.columns]
        unique = ["id", right_out[right.columns[0].name]]
    step = f"join {how} on {left_keys}={right_keys}" + (f" where {residual_sql}" if residual_sql else "")
    return Plan(stream, sql, columns, False, unique, left.steps + right.steps + [step])


# -- aggregate ---------------------------------------------------------------------------

NUMERIC = ("int32", "int64", "float")
AGG_SQL = {"count": "count({c})", "min": "min({c})", "max": "max({c})", "mean": "avg({c})",
           "var": "var_samp({c})", "stddev": "stddev_samp({c})", "count_distinct": "count(DISTINCT {c})",
           "first": "first({c} ORDER BY \"id\")", "last": "last({c} ORDER BY \"id\")"}


def aggregate_plan(rng, plan: Plan) -> Plan:
    n_keys = int(rng.integers(0, 3))
    key_pool = [c for c in plan.exact_columns()]
    keys = [key_pool[i] for i in rng.choice(len(key_pool), size=min(n_keys, len(key_pool)), replace=False)]
    functions = ["count_all", "count", "sum", "min", "max", "mean", "var", "stddev", "count_distinct"]
    if plan.ordered:
        functions += ["first", "last"]
    specs, sql_items, out_cols, seen = [], [], [], set()
    for _ in range(int(rng.integers(1, 6))):
        fn = functions[int(rng.integers(len(functions)))]
        pool = [c for c in plan.columns if c.exact and (fn not in ("sum", "mean", "var", "stddev") or c.kind in NUMERIC)]
        c = None if fn == "count_all" else pool[int(rng.integers(len(pool)))]
        if (fn, c and c.name) in seen:
            continue
        seen.add((fn, c and c.name))
        # Named (a0, a1, ...) or Sabot's default name: "sum(x)", "count(*)".
        name = f"a{len(specs)}" if rng.random() < 0.7 else ("count(*)" if c is None else f"{fn}({c.name})")
        a = agg.count() if fn == "count_all" else getattr(agg, fn)(c.name)
        specs.append((name, a, name.startswith("a") and name[1:].isdigit()))
        if fn == "count_all":
            expr = "count(*)"
        elif fn == "sum":
            expr = f"CAST(sum({q(c.name)}) AS BIGINT)" if c.kind != "float" else f"sum({q(c.name)})"
        else:
            expr = AGG_SQL[fn].format(c=q(c.name))
        sql_items.append(f"{expr} AS {q(name)}")
        if fn in ("count_all", "count", "count_distinct"):
            out_cols.append(Column(name, "int64"))
        elif fn == "sum":
            out_cols.append(Column(name, "float" if c.kind == "float" else "int64"))
        elif fn in ("mean", "var", "stddev"):
            out_cols.append(Column(name, "float", exact=False))
        else:
            out_cols.append(Column(name, c.kind))
    named = {n: a for n, a, explicit in specs if explicit}
    positional = [a for n, a, explicit in specs if not explicit]
    key_names = [k.name for k in keys]
    stream = plan.stream.group_by(*key_names).agg(*positional, **named)
    # Sabot puts positional aggregates before named ones.
    order = [i for i, s in enumerate(specs) if not s[2]] + [i for i, s in enumerate(specs) if s[2]]
    sql_items = [sql_items[i] for i in order]
    out_cols = [out_cols[i] for i in order]
    key_sql = [q(k) for k in key_names]
    sql = f"SELECT {', '.join(key_sql + sql_items)} FROM ({plan.sql}) AS q"
    if key_names:
        sql += f" GROUP BY {', '.join(key_sql)}"
    columns = [Column(k.name, k.kind) for k in keys] + out_cols
    step = f"group_by {key_names} agg {[(n, a) for n, a, _ in specs]}"
    return Plan(stream, sql, columns, False, key_names, plan.steps + [step])


# -- distinct, sort, top-k ---------------------------------------------------------------

def distinct_plan(rng, plan: Plan) -> Plan:
    pool = plan.exact_columns()
    if len(pool) == len(plan.columns) and rng.random() < 0.3:
        chosen, stream = pool, plan.stream.distinct()
    else:
        size = int(rng.integers(1, min(3, len(pool)) + 1))
        chosen = [pool[i] for i in rng.choice(len(pool), size=size, replace=False)]
        stream = plan.stream.distinct(*[c.name for c in chosen])
    names = ", ".join(q(c.name) for c in chosen)
    return Plan(stream, f"SELECT DISTINCT {names} FROM ({plan.sql}) AS q", list(chosen), False,
                [c.name for c in chosen], plan.steps + [f"distinct {[c.name for c in chosen]}"])


@dataclass
class Order:
    keys: list[str]
    complete: bool  # the keys are unique per row: the whole row order is determined
    top_k: int | None


def sort_plan(rng, plan: Plan) -> tuple[Plan, Order]:
    pool = [c.name for c in plan.exact_columns()]
    size = int(rng.integers(1, min(3, len(pool)) + 1))
    keys = [pool[i] for i in rng.choice(len(pool), size=size, replace=False)]
    if plan.unique is not None and rng.random() < 0.7:
        keys += [u for u in plan.unique if u not in keys]
    complete = plan.unique is not None and set(plan.unique) <= set(keys)
    desc = [bool(rng.random() < 0.5) for _ in keys]
    nulls = [bool(rng.random() < 0.5) for _ in keys]
    # Exercise the scalar forms of descending= / nulls_first= too.
    if rng.random() < 0.25:
        desc = [desc[0]] * len(keys)
        nulls = [nulls[0]] * len(keys)
        d_arg, n_arg = desc[0], nulls[0]
    else:
        d_arg, n_arg = desc, nulls
    order_sql = ", ".join(f"{q(k)} {'DESC' if d else 'ASC'} NULLS {'FIRST' if n else 'LAST'}"
                          for k, d, n in zip(keys, desc, nulls))
    k = None
    if rng.random() < 0.4:
        k = int(rng.choice([1, 2, 5, 17, 100]))
        stream = plan.stream.top_k(k, *keys, descending=d_arg, nulls_first=n_arg)
        sql = f"SELECT * FROM ({plan.sql}) AS q ORDER BY {order_sql} LIMIT {k}"
        step = f"top_k {k} by {order_sql}"
    else:
        stream = plan.stream.sort(*keys, descending=d_arg, nulls_first=n_arg)
        sql = f"SELECT * FROM ({plan.sql}) AS q ORDER BY {order_sql}"
        step = f"sort by {order_sql}"
    return (Plan(stream, sql, plan.columns, False, plan.unique, plan.steps + [step]),
            Order(keys, complete, k))


# -- the case ----------------------------------------------------------------------------

def build_case(seed: int, duck: duckdb.DuckDBPyConnection) -> tuple[Plan, Order | None]:
    rng = np.random.default_rng(1000 + seed)
    join = rng.random() < 0.55
    (left, left_cols), right, n_keys = make_tables(rng, duck, join)
    plan = maybe_filter(rng, source_plan(left, "t0", left_cols), 0.2 if join else 0.3, "filter")
    if join:
        right_plan = maybe_filter(rng, source_plan(right[0], "t1", right[1]), 0.2, "filter right")
        plan = join_plan(rng, plan, right_plan, n_keys)
        plan = maybe_filter(rng, plan, 0.2, "filter")
    if rng.random() < (0.5 if join else 0.75):
        plan = aggregate_plan(rng, plan)
        plan = maybe_filter(rng, plan, 0.4, "having")
    if rng.random() < 0.2 and plan.exact_columns():
        plan = distinct_plan(rng, plan)
    order = None
    if rng.random() < 0.55 and plan.exact_columns():
        plan, order = sort_plan(rng, plan)
    return plan, order


def normalize(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def rows_of(table: pa.Table, names: list[str] | None = None) -> list[tuple]:
    names = names or table.column_names
    columns = [table.column(n).to_pylist() for n in names]
    return [tuple(normalize(v) for v in row) for row in zip(*columns)]


def sort_key(row: tuple):
    # Floats rounded so tolerance-level differences never reorder rows; None first.
    return tuple((v is not None, round(v, 6) if isinstance(v, float) else v) for v in row)


def same_value(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        if math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def compare_rows(got: list[tuple], want: list[tuple], what: str) -> None:
    assert len(got) == len(want), f"{what}: {len(got)} rows, DuckDB has {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        assert all(same_value(a, b) for a, b in zip(g, w)), f"{what}: row {i}: sabot {g} != duckdb {w}"


def check(plan: Plan, order: Order | None, got: pa.Table, want: pa.Table) -> None:
    assert got.column_names == want.column_names, f"columns {got.column_names} != {want.column_names}"
    for c in plan.columns:
        assert got.schema.field(c.name).type == ARROW_TYPES[c.kind], \
            f"column {c.name}: type {got.schema.field(c.name).type}, expected {ARROW_TYPES[c.kind]}"
    if order is None or not order.complete:
        # Without a total order the rows must still be the same multiset (top-k: only
        # the key sequence is determined, the rows at a tie on the k-th key are not).
        if order is None or order.top_k is None:
            compare_rows(sorted(rows_of(got), key=sort_key), sorted(rows_of(want), key=sort_key), "rows (any order)")
        if order is not None:
            compare_rows(rows_of(got, order.keys), rows_of(want, order.keys), f"sort keys {order.keys} in order")
    else:
        compare_rows(rows_of(got), rows_of(want), "rows in order")


@pytest.fixture(scope="module")
def duck():
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    yield con
    con.close()


@pytest.mark.parametrize("seed", [pytest.param(s, id=f"case[{s}]", marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[s]))
                                  if s in KNOWN_BUGS else pytest.param(s, id=f"case[{s}]") for s in SEEDS])
def test_random_plan_matches_duckdb(seed, duck):
    plan, order = build_case(seed, duck)
    context = (f"\nseed={seed} (rerun: SABOT_RANDOM_SEEDS={seed} pytest {__file__})\nsteps:\n  "
               + "\n  ".join(plan.steps) + f"\nplan:\n{plan.stream.explain()}\nsql:\n{plan.sql}")
    try:
        got = plan.stream.collect()
    except sabot.SabotError as e:
        raise AssertionError(f"sabot failed: {e}{context}") from e
    want = duck.sql(plan.sql).to_arrow_table()
    try:
        check(plan, order, got, want)
    except AssertionError as e:
        raise AssertionError(f"{e}{context}") from None


def test_cases_cover_every_operator(duck):
    """The seeds together exercise each join type, each aggregate, sort, top-k and distinct."""
    steps = [step for seed in DEFAULT_SEEDS for step in build_case(seed, duck)[0].steps]
    text = "\n".join(steps)
    for prefix in ["join inner", "join left", "join right", "join full", "join semi", "join anti",
                   "group_by [] ", "group_by ['", "having", "distinct", "sort by", "top_k", "filter"]:
        assert any(step.startswith(prefix) for step in steps), prefix
    for needle in [" where ", "DESC NULLS FIRST", "DESC NULLS LAST", "ASC NULLS FIRST", "ASC NULLS LAST"]:
        assert needle in text, needle
    for fn in ["count_all", "count(", "sum(", "min(", "max(", "mean(", "var(", "stddev(", "count_distinct(",
               "first(", "last("]:
        assert f"Agg({fn}" in text, fn


@pytest.mark.parametrize("top_k", [False, True])
def test_sort_nulls_tie_break_on_next_key(top_k):
    """Found by case 66: NULLs of the first key must tie whatever their value slots hold
    (undefined in Arrow; pa.array(values, mask=...) keeps the old values), so the second
    key orders them. The radix sort once ordered them by those hidden values."""
    x = pa.array(np.array([0, 9, 7, 5, 3]), pa.int64(), mask=np.array([False, True, True, True, True]))
    s = sabot.from_arrow(pa.table({"x": x, "k": pa.array([0, 1, 2, 3, 4], pa.int64())}))
    s = s.top_k(5, "x", "k") if top_k else s.sort("x", "k")
    assert s.collect()["k"].to_pylist() == [0, 1, 2, 3, 4]
