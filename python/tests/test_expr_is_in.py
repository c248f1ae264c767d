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


@pytest.mark.parametrize("values, sql", [([2, None], "(2, NULL)"), ([2], "(2)"), (["SHIP", None], "('SHIP', NULL)")])
def test_nulls_as_duckdb_in(values, sql):
    # SQL's IN: a null input is null, and so is no match beside a null in the list; a
    # filter drops both, and NOT IN with a null in the list keeps nothing.
    column = "s" if isinstance(values[0], str) else "x"
    rows = FACTS.select([column])
    got = sabot.from_arrow(rows).select(
        inside=col(column).is_in(values), outside=~col(column).is_in(values)).collect()
    want = duckdb.sql(f"SELECT {column} IN {sql} AS inside, {column} NOT IN {sql} AS outside FROM rows")
    assert got.to_pylist() == want.to_arrow_table().to_pylist()
    kept = sabot.from_arrow(rows).filter(~col(column).is_in(values)).collect()
    kept_by_duckdb = duckdb.sql(f"SELECT * FROM rows WHERE {column} NOT IN {sql}").to_arrow_table()
    assert kept.to_pylist() == kept_by_duckdb.to_pylist()


def test_null_options_and_call_form():
    out = sabot.from_arrow(FACTS).select(
        a=col("x").is_in([2, None], nulls_equal=True), b=col("x").is_in([2, None], skip_nulls=True),
        c=call("is_in", col("s"), value_set=("AIR",))).collect()
    assert out["a"].to_pylist() == [False, True, False, True, False]
    assert out["b"].to_pylist() == [False, True, False, False, False]
    assert out["c"].to_pylist() == [False, False, True, False, False]  # Arrow's own default
    with pytest.raises(ValueError, match="nulls_equal or skip_nulls, not both"):
        col("x").is_in([1], nulls_equal=True, skip_nulls=True)


def test_bad_value_sets_are_clear_errors():
    with pytest.raises(TypeError, match="a list option holds str, int, float, bool or None"):
        col("x").is_in([b"bytes"])
    with pytest.raises(sabot.SabotError, match="option 'value_set' must be a JSON array"):
        sabot.from_arrow(FACTS).filter(col("x").is_in([1, "one"])).collect()


def test_nulls_in_a_parquet_scan_as_duckdb(tmp_path):
    # The scan tests a dictionary column's entries, not its rows: row groups with and
    # without null modes, against DuckDB reading the same file.
    import pyarrow.parquet as pq
    modes = ["MAIL", "SHIP", "AIR", "RAIL"]
    rows = pa.table({"mode": [None if i % 7 == 0 and i >= 4000 else modes[i % 4] for i in range(8000)],
                     "qty": list(range(8000))})
    path = tmp_path / "modes.parquet"
    pq.write_table(rows, path, row_group_size=4000)
    for values, sql in ((["SHIP", None], "('SHIP', NULL)"), (["SHIP"], "('SHIP')")):
        for test, where in ((col("mode").is_in(values), f"mode IN {sql}"),
                            (~col("mode").is_in(values), f"mode NOT IN {sql}")):
            got = sabot.read_parquet(str(path)).filter(test).collect()
            want = duckdb.sql(f"SELECT * FROM '{path}' WHERE {where} ORDER BY qty").to_arrow_table()
            assert got.num_rows == want.num_rows and got.to_pylist() == want.to_pylist(), where


def test_dates_datetimes_and_decimals_as_duckdb_in(tmp_path):
    # Read as the column's type, as text in a comparison is; in memory and through a
    # Parquet scan, which tests a small dictionary's entries rather than its rows.
    import pyarrow.parquet as pq
    from decimal import Decimal
    n = 6000
    rows = pa.table({
        "id": list(range(n)),
        "day": pa.array([datetime.date(2024, 1, 1) + datetime.timedelta(days=i % 40) for i in range(n)]),
        "ts": pa.array([datetime.datetime(2024, 1, 1, i % 24) for i in range(n)], pa.timestamp("us", tz="UTC")),
        "price": pa.array([Decimal(i % 50) / 4 if i % 11 else None for i in range(n)], pa.decimal128(12, 2)),
    })
    path = tmp_path / "typed.parquet"
    pq.write_table(rows, path, row_group_size=2000)
    days = [datetime.date(2024, 1, 3), datetime.date(2024, 2, 1), None]
    utc = datetime.timezone.utc
    cases = [
        (col("day").is_in(days), "day IN (DATE '2024-01-03', DATE '2024-02-01', NULL)"),
        (col("day").is_in(["2024-01-05"]), "day IN (DATE '2024-01-05')"),
        (col("ts").is_in([datetime.datetime(2024, 1, 1, 5), datetime.datetime(2024, 1, 1, 7, tzinfo=utc)]),
         "ts IN (TIMESTAMPTZ '2024-01-01 05:00:00+00', TIMESTAMPTZ '2024-01-01 07:00:00+00')"),
        (col("price").is_in([Decimal("1.25"), 3, Decimal("7.50")]), "price IN (1.25, 3, 7.50)"),
        (~col("price").is_in([Decimal("1.25")]), "price NOT IN (1.25)"),
    ]
    con = duckdb.connect()
    con.sql("SET TimeZone = 'UTC'")
    for test, where in cases:
        want = con.sql(f"SELECT id FROM '{path}' WHERE {where} ORDER BY id").to_arrow_table()["id"].to_pylist()
        assert want, where
        for stream in (sabot.from_arrow(rows), sabot.read_parquet(str(path))):
            got = stream.filter(test).select("id").collect()["id"].to_pylist()
            assert sorted(got) == want, where
    with pytest.raises(sabot.SabotError, match="cannot read literal '2024-13-01' as date32"):
        sabot.from_arrow(rows).filter(col("day").is_in(["2024-13-01"])).collect()
    with pytest.raises(sabot.SabotError, match=r"cannot read literal '1.255' as decimal128\(12, 2\)"):
        sabot.from_arrow(rows).filter(col("price").is_in([Decimal("1.255")])).collect()
