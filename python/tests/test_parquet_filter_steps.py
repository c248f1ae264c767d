"""A Parquet scan that filters itself runs the conjuncts over one column first (per
dictionary entry, where the file stores the column with a small dictionary) and the
conjuncts over several columns only at the rows those keep, decoding their columns there
(TPC-H Q12's two date comparisons). The rows kept must be the rows DuckDB keeps on the
same file, whichever columns come as dictionaries, with nulls, and on 1, 2 and 8 threads."""
from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sabot
from sabot.expr import col, lit

ROWS = 200_000


@pytest.fixture(scope="module")
def parquet_file(tmp_path_factory):
    rng = np.random.default_rng(12)
    ship = rng.integers(9_000, 9_400, ROWS)  # days: a small dictionary per row group
    commit = ship + rng.integers(-30, 60, ROWS)
    receipt = ship + rng.integers(1, 30, ROWS)
    mode = np.array(["AIR", "MAIL", "SHIP", "RAIL", "TRUCK"])[rng.integers(0, 5, ROWS)]
    receipt_nulls = rng.random(ROWS) < 0.03
    table = pa.table({
        "id": np.arange(ROWS),
        "shipdate": pa.array(ship.astype(np.int32)).cast(pa.date32()),
        "commitdate": pa.array(commit.astype(np.int32)).cast(pa.date32()),
        "receiptdate": pa.array(receipt.astype(np.int32), mask=receipt_nulls).cast(pa.date32()),
        "mode": mode,
        "qty": rng.integers(1, 51, ROWS),
        "wide": rng.integers(0, 10**9, ROWS),  # too many values for a dictionary page
    })
    path = tmp_path_factory.mktemp("steps") / "t.parquet"
    pq.write_table(table, path, row_group_size=70_000, use_dictionary=True)
    return path


def _day(text: str) -> sabot.Expr:
    return lit(dt.date.fromisoformat(text))


FILTERS = {
    # Q12's shape: one-column conjuncts narrow the rows, then two comparisons of dates.
    "q12": ((col("mode").is_in(["MAIL", "SHIP"])) & (col("commitdate") < col("receiptdate"))
            & (col("shipdate") < col("commitdate")) & (col("receiptdate") >= _day("1994-09-01"))
            & (col("receiptdate") < _day("1995-01-01")),
            "mode IN ('MAIL', 'SHIP') AND commitdate < receiptdate AND shipdate < commitdate"
            " AND receiptdate >= DATE '1994-09-01' AND receiptdate < DATE '1995-01-01'"),
    # A column read alone and with another; an integer one beside a wide one.
    "mixed": ((col("qty") < lit(20)) & (col("wide") - col("qty") * lit(3) > lit(500_000_000))
              & (col("shipdate") > _day("1994-10-01")),
              "qty < 20 AND wide - qty * 3 > 500000000 AND shipdate > DATE '1994-10-01'"),
    # Over several columns only: nothing narrows the rows first.
    "compare_only": (col("commitdate") < col("receiptdate"), "commitdate < receiptdate"),
    # A first step that keeps no row.
    "none_pass": ((col("qty") > lit(50)) & (col("shipdate") < col("commitdate")),
                  "qty > 50 AND shipdate < commitdate"),
}


@pytest.mark.parametrize("threads", [1, 2, 8])
@pytest.mark.parametrize("name", sorted(FILTERS))
def test_rows_kept_match_duckdb(parquet_file, name, threads):
    predicate, where = FILTERS[name]
    got = (sabot.read_parquet(str(parquet_file)).filter(predicate)
           .select("id", "shipdate", "commitdate", "receiptdate", "mode", "qty").collect(threads=threads))
    want = duckdb.sql(f"SELECT id, shipdate, commitdate, receiptdate, mode, qty FROM '{parquet_file}' "
                      f"WHERE {where} ORDER BY id").arrow()
    want = want.read_all() if hasattr(want, "read_all") else want
    got = got.sort_by("id")
    if name != "none_pass":
        assert want.num_rows > 100
    assert got.num_rows == want.num_rows
    for column in want.column_names:
        assert got.column(column).to_pylist() == want.column(column).to_pylist(), column
