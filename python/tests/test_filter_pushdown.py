"""The optimizer's filter pushdown and filters evaluated per dictionary entry: a filter
written above a projection (the decimal casts a TPC-H scan adds) runs below it, on the
Parquet source, and a conjunct that tests one dictionary-encoded string column alone is
evaluated once per dictionary entry. Results must be DuckDB's on the same file."""
from __future__ import annotations

import datetime
import decimal

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sabot
from sabot.expr import col


@pytest.fixture(scope="module")
def parquet_file(tmp_path_factory):
    rng = np.random.default_rng(11)
    n = 200_000
    modes = np.array(["AIR", "MAIL", "SHIP", "TRUCK", "RAIL"])
    mode = pa.array(modes[rng.integers(0, len(modes), n)]).to_pylist()
    for i in range(0, n, 41):
        mode[i] = None  # null never passes a test, whatever the dictionary says
    cents = rng.integers(0, 100_000, n)
    table = pa.table({"id": np.arange(n), "mode": pa.array(mode, pa.string()),
                      "price": pa.array([decimal.Decimal(int(c)).scaleb(-2) for c in cents], pa.decimal128(15, 2)),
                      "qty": rng.integers(1, 50, n)})
    path = tmp_path_factory.mktemp("pushdown") / "t.parquet"
    pq.write_table(table, path, row_group_size=30_000, use_dictionary=True)
    return path


def query(path):
    return (sabot.read_parquet(path, columns=["id", "mode", "price", "qty"])
            .with_columns(price=col("price").cast("float64"))
            .filter(col("mode").is_in(["MAIL", "SHIP"]) & (col("mode") != "SHIP") & (col("qty") < 20)
                    & (col("price") > 100.0))
            .select("id", "mode", "price"))


def test_explain_shows_the_filter_below_the_cast(parquet_file):
    lines = [line.strip() for line in query(parquet_file).explain().splitlines()]
    steps = [line.split(" ")[0] for line in lines if not line.startswith("->")]
    # The cast's with_columns keeps only what is used above it (qty is not): a projection.
    assert steps[:4] == ["Project", "Filter", "Project", "Filter"], lines
    assert lines[steps.index("Filter", 2) * 2].startswith("Filter ((is_in(mode"), lines  # the cast column stays above
    assert "price" in lines[2] and "mode" not in lines[2]


@pytest.mark.parametrize("threads", [1, 3])
def test_results_match_duckdb(parquet_file, threads):
    got = query(parquet_file).collect(threads=threads)
    assert got.schema.field("mode").type == pa.string()
    want = duckdb.sql(f"""SELECT id, mode, CAST(price AS DOUBLE) AS price FROM read_parquet('{parquet_file}')
                          WHERE mode IN ('MAIL', 'SHIP') AND mode <> 'SHIP' AND qty < 20 AND price > 100
                          ORDER BY id""").arrow()
    want = want.read_all() if hasattr(want, "read_all") else want
    assert got.num_rows > 1000
    assert got.column("id").to_pylist() == want.column("id").to_pylist()  # source order kept
    assert got.column("mode").to_pylist() == want.column("mode").to_pylist()
    # Arrow and DuckDB may round a decimal's cast to double differently in the last bit.
    assert got.column("price").to_pylist() == pytest.approx(want.column("price").to_pylist(), rel=1e-12)


@pytest.fixture(scope="module")
def dated_file(tmp_path_factory):
    # Columns a scan's filter tests alone, dictionary-encoded with few entries (dates,
    # quantities, discounts: tested per entry, decoded at the rows that pass), one with a
    # dictionary about as large as its rows (tested per value), one with nulls, and two
    # dates a conjunct compares with each other (read as values).
    rng = np.random.default_rng(5)
    n = 200_000
    ship = rng.integers(8000, 10500, n)
    discount = rng.integers(0, 11, n)
    qty = rng.integers(1, 51, n)

    def decimals(values):  # whole numbers as decimal(15, 2)
        return pa.array([None if v is None else decimal.Decimal(int(v)) for v in values], pa.decimal128(15, 2))
    table = pa.table({
        "id": np.arange(n),
        "ship": pa.array(ship.astype(np.int32)).cast(pa.date32()),
        "commit": pa.array((ship + rng.integers(-60, 60, n)).astype(np.int32)).cast(pa.date32()),
        "receipt": pa.array((ship + rng.integers(1, 30, n)).astype(np.int32)).cast(pa.date32()),
        "qty": decimals(qty),
        "discount": decimals(discount),
        "discount_or_null": decimals([None if i % 23 == 0 else d for i, d in enumerate(discount)]),
        "price": pa.array(rng.integers(0, 10_000_000, n), pa.int64()),
    })
    path = tmp_path_factory.mktemp("dated") / "t.parquet"
    pq.write_table(table, path, row_group_size=90_000, use_dictionary=True, store_decimal_as_integer=True)
    return path


def dated_query(path):
    def d(text):
        return sabot.lit(datetime.date.fromisoformat(text))
    casts = {c: col(c).cast("float64") for c in ("qty", "discount", "discount_or_null")}
    return (sabot.read_parquet(path, columns=["id", "ship", "commit", "receipt", "qty", "discount",
                                              "discount_or_null", "price"])
            .with_columns(**casts)
            .filter((col("ship") >= d("1994-01-01")) & (col("ship") < d("1996-01-01"))
                    & (col("qty") < 24.0) & (col("discount") >= 2.0) & (col("discount") <= 7.0)
                    & (col("discount_or_null") != 3.0) & (col("price") > 2_000_000)
                    & (col("commit") < col("receipt")))
            .select("id", "ship", "qty", "discount", "discount_or_null", "price"))


@pytest.mark.parametrize("threads", [1, 2, 5])
def test_dates_and_decimals_tested_per_entry_match_duckdb(dated_file, threads):
    got = dated_query(dated_file).collect(threads=threads)
    want = duckdb.sql(f"""SELECT id, ship, CAST(qty AS DOUBLE) AS qty, CAST(discount AS DOUBLE) AS discount,
                                 CAST(discount_or_null AS DOUBLE) AS discount_or_null, price
                          FROM read_parquet('{dated_file}')
                          WHERE ship >= DATE '1994-01-01' AND ship < DATE '1996-01-01' AND qty < 24
                            AND discount BETWEEN 2 AND 7 AND discount_or_null <> 3 AND price > 2000000
                            AND commit < receipt
                          ORDER BY id""").arrow()
    want = want.read_all() if hasattr(want, "read_all") else want
    assert got.num_rows > 1000
    for name in ("id", "ship", "qty", "discount", "discount_or_null", "price"):
        assert got.column(name).to_pylist() == want.column(name).to_pylist(), name
