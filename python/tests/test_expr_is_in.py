"""IN lists: Expr.is_in and call("is_in", ..., value_set=[...]) against DuckDB's IN."""
from __future__ import annotations

import datetime

import duckdb
import pyarrow as pa
import pytest

import sabot
from sabot import call, col

FACTS = pa.table({"x": [1, 2, 3, None, 5], "s": ["MAIL", "SHIP", "AIR", None, "RAIL"],
                  "i": pa.array([49, 14, 3, 7, None], pa.int32()), "f": [0.5, 1.5, 2.0, None, 3.0]})


@pytest.mark.parametrize("column, values, sql", [
    ("x", [1, 3, 9], "x IN (1, 3, 9)"),
    ("s", ["MAIL", "SHIP"], "s IN ('MAIL', 'SHIP')"),
    ("i", [49, 14, 23, 45, 19, 3, 36, 9], "i IN (49, 14, 23, 45, 19, 3, 36, 9)"),  # int64 set, int32 column
    ("f", [1.5, 3], "f IN (1.5, 3)"),
])
def test_filter_matches_duckdb_in(column, values, sql):
    got = sabot.from_arrow(FACTS).filter(col(column).is_in(values)).collect()
    want = duckdb.sql(f"SELECT * FROM FACTS WHERE {sql}").to_arrow_table()
    assert got.to_pylist() == want.to_pylist()


def test_nulls_and_call_form():
    out = sabot.from_arrow(FACTS).select(
        a=col("x").is_in([2, None]), b=col("x").is_in([2, None], skip_nulls=True),
        c=call("is_in", col("s"), value_set=("AIR",))).collect()
    assert out["a"].to_pylist() == [False, True, False, True, False]
    assert out["b"].to_pylist() == [False, True, False, False, False]
    assert out["c"].to_pylist() == [False, False, True, False, False]


def test_bad_value_sets_are_clear_errors():
    with pytest.raises(TypeError, match="a list option holds str, int, float, bool or None"):
        col("x").is_in([datetime.date(2024, 1, 1)])
    with pytest.raises(sabot.SabotError, match="option 'value_set' must be a JSON array"):
        sabot.from_arrow(FACTS).filter(col("x").is_in([1, "one"])).collect()
