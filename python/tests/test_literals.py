"""Literals beside typed columns read as SQL engines read them: a string compared with a
date or timestamp as that type; Python decimals and typed decimal text exactly, at their
own digits. Results against DuckDB on the same file."""
import datetime as dt
from decimal import Decimal

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sabot
from sabot.expr import col, lit


@pytest.fixture(scope="module")
def dated_file(tmp_path_factory):
    rng = np.random.default_rng(5)
    n = 20_000
    days = rng.integers(9000, 11000, n)
    table = pa.table({"id": np.arange(n), "d": pa.array(days.astype("int32"), pa.date32()),
                      "t": pa.array(days.astype("int64") * 86_400_000_000 + rng.integers(0, 86_400_000_000, n),
                                    pa.timestamp("us"))})
    path = tmp_path_factory.mktemp("literals") / "dated.parquet"
    pq.write_table(table, path, row_group_size=5_000)
    return path


@pytest.mark.parametrize("threads", [1, 2])
def test_string_literals_compare_as_dates_and_timestamps(dated_file, threads):
    got = (sabot.read_parquet(dated_file)
           .filter((col("d") >= lit("1996-01-01")) & (col("t") < lit("1998-06-30 12:00:00")))
           .collect(threads=threads).sort_by("id"))
    want = duckdb.sql(f"SELECT * FROM '{dated_file}' WHERE d >= '1996-01-01' AND t < '1998-06-30 12:00:00' "
                      "ORDER BY id").to_arrow_table()
    assert got.num_rows == want.num_rows > 0
    assert got["id"].to_pylist() == want["id"].to_pylist()


@pytest.mark.parametrize("threads", [1, 2])
def test_text_beside_a_zoned_timestamp_is_a_wall_clock_time_in_its_zone(dated_file, threads):
    # DuckDB reads text beside a TIMESTAMPTZ in its session's zone, here UTC; Sabot in the
    # column's own zone, which is UTC too.
    zoned = pa.table({"id": pa.array(range(20_000)),
                      "t": pq.read_table(dated_file)["t"].cast(pa.timestamp("us", tz="UTC"))})
    got = (sabot.from_arrow(zoned).filter(col("t") >= lit("1997-03-04 05:06:07"))
           .collect(threads=threads).sort_by("id"))
    con = duckdb.connect()
    con.sql("SET TimeZone = 'UTC'")
    want = con.sql("SELECT id FROM zoned WHERE t >= '1997-03-04 05:06:07' ORDER BY id").to_arrow_table()
    assert got.num_rows == want.num_rows > 0
    assert got["id"].to_pylist() == want["id"].to_pylist()
    # In a zone of its own: 13:00 in New York is 17:00 UTC in July.
    new_york = pa.table({"t": pa.array([dt.datetime(2024, 7, 1, 16, 59), dt.datetime(2024, 7, 1, 17, 1)],
                                       pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us", tz="America/New_York"))})
    later = sabot.from_arrow(new_york).filter(col("t") > lit("2024-07-01 13:00:00")).collect()
    assert later["t"].cast(pa.timestamp("us", tz="UTC")).to_pylist() == [
        dt.datetime(2024, 7, 1, 17, 1, tzinfo=dt.timezone.utc)]


def test_a_typed_zoned_literal_reads_text_as_the_comparison_does():
    # lit(text, zoned type) and text beside a zoned column mean the same instant: a
    # wall-clock time in the zone, as DuckDB's TIMESTAMPTZ text in its session's zone.
    zone = "America/New_York"
    times = pa.array([dt.datetime(2024, 7, 1, 16, 59), dt.datetime(2024, 7, 1, 17, 0), dt.datetime(2024, 7, 1, 17, 1),
                      dt.datetime(2024, 1, 15, 18, 0)], pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us", tz=zone))
    rows = pa.table({"id": list(range(4)), "t": times})
    typed = lit("2024-07-01 13:00:00", f"timestamp[us, tz={zone}]")
    got = sabot.from_arrow(rows).select(
        "id", by_text=col("t") >= lit("2024-07-01 13:00:00"), by_typed=col("t") >= typed,
        winter=col("t") == lit("2024-01-15 13:00:00", f"timestamp[us, tz={zone}]"),
        offset=col("t") == lit("2024-07-01 17:00:00Z", f"timestamp[us, tz={zone}]")).collect()
    con = duckdb.connect()
    con.sql(f"SET TimeZone = '{zone}'")
    want = con.sql("SELECT id, t >= TIMESTAMPTZ '2024-07-01 13:00:00' AS by_text, "
                   "t >= TIMESTAMPTZ '2024-07-01 13:00:00' AS by_typed, "
                   "t = TIMESTAMPTZ '2024-01-15 13:00:00' AS winter, "
                   "t = TIMESTAMPTZ '2024-07-01 17:00:00Z' AS offset FROM rows ORDER BY id").to_arrow_table()
    assert got.to_pylist() == want.to_pylist()
    assert got["offset"].to_pylist() == [False, True, False, False]
    # 02:30 does not exist in New York on the day clocks go forward.
    with pytest.raises(sabot.SabotError, match="cannot read literal '2024-03-10 02:30:00'"):
        lit("2024-03-10 02:30:00", f"timestamp[us, tz={zone}]")


def test_a_string_that_is_no_date_is_an_error_naming_it(dated_file):
    with pytest.raises(sabot.SabotError, match="cannot read literal '1996-02-30' as date32"):
        sabot.read_parquet(dated_file).filter(col("d") > lit("1996-02-30")).collect()
    # A Python date needs no text at all.
    got = sabot.read_parquet(dated_file).filter(col("d") > dt.date(1996, 2, 28)).collect()
    assert got.num_rows > 0


@pytest.fixture(scope="module")
def priced_file(tmp_path_factory):
    rng = np.random.default_rng(8)
    n = 20_000
    cents = rng.integers(-50_000, 500_000, n)
    table = pa.table({"id": np.arange(n),
                      "price": pa.array([Decimal(int(c)).scaleb(-2) for c in cents], pa.decimal128(15, 2)),
                      "rate": pa.array([Decimal(int(c) % 1000).scaleb(-3) for c in cents], pa.decimal128(5, 3))})
    path = tmp_path_factory.mktemp("literals") / "priced.parquet"
    pq.write_table(table, path, row_group_size=5_000)
    return path


@pytest.mark.parametrize("threads", [1, 2])
def test_decimal_literals_match_duckdb(priced_file, threads):
    # Python decimals beside decimal columns, in comparisons and arithmetic, and text
    # read as a given decimal type.
    got = (sabot.read_parquet(priced_file)
           .filter((col("price") > Decimal("1234.5")) & (col("rate") <= lit("0.25", "decimal128(4, 3)"))
                   & (col("price") * Decimal("0.05") < Decimal("1E+4")))
           .with_columns(net=col("price") - Decimal("0.99"))
           .collect(threads=threads).sort_by("id"))
    want = duckdb.sql(f"SELECT *, price - 0.99 AS net FROM '{priced_file}' WHERE price > 1234.5 "
                      "AND rate <= 0.25 AND price * 0.05 < 10000 ORDER BY id").to_arrow_table()
    assert got.num_rows == want.num_rows > 100
    assert got["id"].to_pylist() == want["id"].to_pylist()
    assert got["net"].to_pylist() == want["net"].to_pylist()


def test_decimal_literal_types_and_errors():
    table = pa.table({"x": pa.array([Decimal("1.50")], pa.decimal128(10, 2))})
    types = sabot.from_arrow(table).select(
        a=lit(Decimal("2.50")), b=lit(Decimal("-0.05")), c=lit(Decimal("1E+3")),
        d=lit("1.5", pa.decimal128(10, 2)), e=lit("7", "decimal64(12, 4)")).collect()
    assert [str(t) for t in types.schema.types] == [
        "decimal128(3, 2)", "decimal128(2, 2)", "decimal128(4, 0)", "decimal128(10, 2)", "decimal64(12, 4)"]
    assert types.to_pylist() == [{"a": Decimal("2.50"), "b": Decimal("-0.05"), "c": Decimal("1000"),
                                  "d": Decimal("1.50"), "e": Decimal("7.0000")}]
    with pytest.raises(sabot.SabotError, match=r"cannot read literal '1.005' as decimal128\(10, 2\): "
                                               "it has 3 digits after the point, the type 2"):
        lit("1.005", "decimal128(10, 2)")
    with pytest.raises(TypeError, match="finite decimals only"):
        lit(Decimal("NaN"))
