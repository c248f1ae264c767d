"""Literals beside typed columns read as SQL engines read them: a string compared with a
date or timestamp as that type. Results against DuckDB on the same file."""
import datetime as dt

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


def test_a_string_that_is_no_date_is_an_error_naming_it(dated_file):
    with pytest.raises(sabot.SabotError, match="'1996-02-30' is not a date32 value"):
        sabot.read_parquet(dated_file).filter(col("d") > lit("1996-02-30")).collect()
    # A Python date needs no text at all.
    got = sabot.read_parquet(dated_file).filter(col("d") > dt.date(1996, 2, 28)).collect()
    assert got.num_rows > 0
