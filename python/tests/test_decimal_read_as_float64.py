"""Decimal columns stored as integers and cast to float64 right over a Parquet source are
read as float64 by the source (the plan shows ``read_as``); results match DuckDB's casts
on the same file. Decimals as they are: integer literals beside them, and their sums,
means, minima and maxima, against DuckDB."""
import decimal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sabot
from sabot import agg
from sabot.expr import col

ROWS = 150_000  # more than two 64K-row batches
COLUMNS = {  # name: (precision, scale)
    "price": (15, 2),   # as TPC-H stores money: INT64
    "rate": (9, 4),     # INT32
    "big": (18, 6),     # INT64, unscaled values past 2^53
    "wide": (22, 3),    # fixed-size binary: no faster read, so the cast stays
}


def decimals(rng, precision: int, scale: int, distinct: int | None, nulls: bool) -> pa.Array:
    top = 10 ** min(precision, 18) - 1
    values = rng.integers(-top, top, distinct or ROWS, dtype=np.int64)
    if distinct:
        values = values[rng.integers(0, distinct, ROWS)]
    mask = rng.random(ROWS) < 0.1 if nulls else np.zeros(ROWS, dtype=bool)
    q = decimal.Decimal(1).scaleb(-scale)
    return pa.array([None if m else decimal.Decimal(int(v)).scaleb(-scale).quantize(q) for v, m in zip(values, mask)],
                    pa.decimal128(precision, scale))


@pytest.fixture(scope="module")
def decimal_file(tmp_path_factory):
    rng = np.random.default_rng(11)
    data = {"id": pa.array(np.arange(ROWS), pa.int64()), "flag": pa.array(rng.integers(0, 3, ROWS), pa.int64())}
    for i, (name, (p, s)) in enumerate(COLUMNS.items()):
        # Few distinct values: dictionary pages; many: plain pages after the dictionary fills.
        data[name] = decimals(rng, p, s, distinct=50 if i % 2 == 0 else None, nulls=name != "price")
    path = tmp_path_factory.mktemp("decimals") / "d.parquet"
    pq.write_table(pa.table(data), path, store_decimal_as_integer=True, row_group_size=60_000,
                   compression="snappy")
    return path


def cast_scan(path) -> sabot.Stream:
    return (sabot.read_parquet(path, columns=["id", "flag", *COLUMNS])
            .with_columns(**{c: col(c).cast("float64") for c in COLUMNS}))


def test_the_plan_reads_the_casts_at_the_source(decimal_file):
    plan = cast_scan(decimal_file).filter(col("price") > 0).explain()
    assert "read_as=[price: float64, rate: float64, big: float64]" in plan
    assert "WithColumns wide := cast(wide" in plan
    assert all(f"{c} := cast" not in plan for c in ("price", "rate", "big"))


@pytest.mark.parametrize("threads", [1, 2])
def test_rows_match_duckdb(decimal_file, duck, threads):
    got = (cast_scan(decimal_file).filter((col("price") > 0) & (col("rate") < 0.5))
           .collect(threads=threads).sort_by("id"))
    assert got.schema.names == ["id", "flag", *COLUMNS]
    assert all(got.schema.field(c).type == pa.float64() for c in COLUMNS)
    casts = ", ".join(f"CAST({c} AS DOUBLE) AS {c}" for c in COLUMNS)
    want = duck.sql(f"SELECT id, flag, {casts} FROM '{decimal_file}' "
                        "WHERE CAST(price AS DOUBLE) > 0 AND CAST(rate AS DOUBLE) < 0.5 ORDER BY id").to_arrow_table()
    assert got.num_rows == want.num_rows > 0
    assert got["id"].equals(want["id"])
    for c, (precision, _) in COLUMNS.items():
        g, w = got[c].to_numpy(zero_copy_only=False), want[c].to_numpy(zero_copy_only=False)
        assert np.array_equal(np.isnan(g), np.isnan(w)), c  # nulls
        if precision <= 15:  # both engines divide the exact integer by an exact power of ten
            assert np.array_equal(g, w, equal_nan=True), c
        else:
            np.testing.assert_allclose(g, w, rtol=1e-15, err_msg=c)


def test_aggregates_match_duckdb(decimal_file, duck):
    got = (cast_scan(decimal_file).filter(col("rate") > -0.25)
           .group_by("flag").agg(n=agg.count("price"), total=agg.sum("price"), low=agg.min("rate"),
                                 high=agg.max("big"))
           .collect().sort_by("flag"))
    want = duck.sql(f"SELECT flag, COUNT(price) AS n, SUM(CAST(price AS DOUBLE)) AS total, "
                        f"MIN(CAST(rate AS DOUBLE)) AS low, MAX(CAST(big AS DOUBLE)) AS high FROM '{decimal_file}' "
                        "WHERE CAST(rate AS DOUBLE) > -0.25 GROUP BY flag ORDER BY flag").to_arrow_table()
    assert got["flag"].to_pylist() == want["flag"].to_pylist()
    assert got["n"].to_pylist() == want["n"].to_pylist()
    assert got["low"].to_pylist() == want["low"].to_pylist()
    np.testing.assert_allclose(got["total"].to_numpy(), want["total"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(got["high"].to_numpy(), want["high"].to_numpy(), rtol=1e-15)


def test_a_filter_below_the_cast_keeps_reading_decimals(decimal_file, duck):
    # The filter reads the decimals, so the source must not turn them into doubles.
    stream = (sabot.read_parquet(decimal_file, columns=["id", "price"]).filter(col("price").cast("float64") > 100)
              .with_columns(price=col("price").cast("float64")))
    assert "read_as" not in stream.explain()
    got = stream.collect().sort_by("id")
    want = duck.sql(f"SELECT id, CAST(price AS DOUBLE) AS price FROM '{decimal_file}' "
                        "WHERE price > 100 ORDER BY id").to_arrow_table()
    assert got["id"].equals(want["id"]) and got["price"].equals(want["price"])


def test_a_cast_column_nothing_reads_is_not_read(decimal_file, duck):
    # Projection pushdown drops the cast columns a count or a key alone does not need; the
    # source is not left asked to read them as float64 (it refused: "read_as names column
    # 'price', which is not read").
    got = cast_scan(decimal_file).agg(n=agg.count()).collect()
    assert got["n"].to_pylist() == [duck.sql(f"SELECT count(*) FROM '{decimal_file}'").fetchall()[0][0]]
    got = cast_scan(decimal_file).group_by("flag").agg(n=agg.count(), low=agg.min("rate")).collect().sort_by("flag")
    want = duck.sql(f"SELECT flag, count(*) AS n, MIN(CAST(rate AS DOUBLE)) AS low FROM '{decimal_file}' "
                    "GROUP BY flag ORDER BY flag").to_arrow_table()
    assert got["flag"].to_pylist() == want["flag"].to_pylist()
    assert got["n"].to_pylist() == want["n"].to_pylist()
    assert got["low"].to_pylist() == want["low"].to_pylist()


@pytest.mark.parametrize("threads", [1, 2])
def test_decimal_columns_take_integer_literals_as_duckdb_does(decimal_file, duck, threads):
    # An integer literal beside a decimal compares and computes as a decimal of its own
    # digits; it failed to bind before ("Precision is not great enough for the result").
    got = (sabot.read_parquet(decimal_file, columns=["id", "price", "rate"])
           .filter((col("price") > 1000) & (col("rate") <= 0))
           .with_columns(up=col("price") * 3 - 7)
           .collect(threads=threads).sort_by("id"))
    want = duck.sql(f"SELECT id, price, rate, price * 3 - 7 AS up FROM '{decimal_file}' "
                    "WHERE price > 1000 AND rate <= 0 ORDER BY id").to_arrow_table()
    assert got.num_rows == want.num_rows > 0
    assert got["id"].equals(want["id"])
    assert got.schema.field("up").type.scale == 2
    assert got["up"].to_pylist() == want["up"].to_pylist()


@pytest.mark.parametrize("threads", [1, 2])
def test_decimal_aggregates_match_duckdb(decimal_file, duck, threads):
    # sum stays an exact decimal (38 digits, the column's scale), mean is a double, min
    # and max keep the column's type: as DuckDB types them.
    got = (sabot.read_parquet(decimal_file, columns=["flag", "price", "rate", "wide"])
           .group_by("flag")
           .agg(total=agg.sum("price"), avg=agg.mean("rate"), low=agg.min("wide"), high=agg.max("price"),
                wide_sum=agg.sum("wide"))
           .collect(threads=threads).sort_by("flag"))
    want = duck.sql(f"SELECT flag, sum(price) AS total, avg(rate) AS avg, min(wide) AS low, max(price) AS high, "
                    f"sum(wide) AS wide_sum FROM '{decimal_file}' GROUP BY flag ORDER BY flag").to_arrow_table()
    assert got.schema.field("total").type == pa.decimal128(38, 2)
    assert got.schema.field("high").type == pa.decimal128(15, 2)
    assert got.schema.field("low").type == pa.decimal128(22, 3)
    for name in ("flag", "total", "low", "high", "wide_sum"):
        assert got[name].to_pylist() == want[name].to_pylist(), name
    np.testing.assert_allclose(got["avg"].to_numpy(), want["avg"].to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("threads", [1, 2])
def test_decimal_variance_and_stddev_match_duckdb(decimal_file, duck, threads):
    # Sample variance and standard deviation of decimal columns are doubles, as DuckDB's
    # var_samp and stddev_samp give them.
    got = (sabot.read_parquet(decimal_file, columns=["flag", "price", "rate", "wide"])
           .group_by("flag")
           .agg(v=agg.var("price"), sd=agg.stddev("rate"), wide_sd=agg.stddev("wide"))
           .collect(threads=threads).sort_by("flag"))
    want = duck.sql(f"SELECT flag, var_samp(price) AS v, stddev_samp(rate) AS sd, stddev_samp(wide) AS wide_sd "
                    f"FROM '{decimal_file}' GROUP BY flag ORDER BY flag").to_arrow_table()
    assert got["flag"].to_pylist() == want["flag"].to_pylist()
    for name in ("v", "sd", "wide_sd"):
        assert got.schema.field(name).type == pa.float64()
        np.testing.assert_allclose(got[name].to_numpy(), want[name].to_numpy(), rtol=1e-9, err_msg=name)
