"""Late materialization over Parquet: dictionary-encoded string columns that a filter
does not read are read as dictionaries, filtered, then decoded. Results and types must be
exactly what reading plain strings gives (checked against DuckDB on the same file)."""
from __future__ import annotations

import re

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sabot
from sabot.expr import col


@pytest.fixture(scope="module")
def parquet_file(tmp_path_factory):
    rng = np.random.default_rng(5)
    n = 300_000
    words = np.array(["alpha", "beta", "gamma", "delta", "", "épsilon"])
    names = pa.array(words[rng.integers(0, len(words), n)]).to_pylist()
    for i in range(0, n, 37):
        names[i] = None  # nulls survive the round trip through indices
    table = pa.table({"id": np.arange(n), "x": rng.random(n), "name": pa.array(names, pa.string()),
                      "tag": pa.array(words[rng.integers(0, 3, n)])})
    path = tmp_path_factory.mktemp("late") / "t.parquet"
    pq.write_table(table, path, row_group_size=50_000, use_dictionary=True)  # 6 row groups
    return path


@pytest.mark.parametrize("threads", [1, 3])
def test_filter_then_strings_match_duckdb(parquet_file, threads):
    sabot.set_threads(threads)
    try:
        got = (sabot.read_parquet(parquet_file).filter(col("x") < 0.2)
               .select("id", "name", "tag").collect())
    finally:
        sabot.set_threads(None)
    assert got.schema.field("name").type == pa.string() and got.schema.field("tag").type == pa.string()
    want = duckdb.sql(f"SELECT id, name, tag FROM read_parquet('{parquet_file}') WHERE x < 0.2 ORDER BY id").arrow()
    want = want.read_all() if hasattr(want, "read_all") else want
    assert got.column("id").to_pylist() == want.column("id").to_pylist()  # source order kept
    assert got.column("name").to_pylist() == want.column("name").to_pylist()
    assert got.column("tag").to_pylist() == want.column("tag").to_pylist()


def test_a_filter_on_the_string_column_itself(parquet_file):
    got = sabot.read_parquet(parquet_file).filter(col("name") == "beta").select("id", "tag").collect()
    want = duckdb.sql(f"SELECT id, tag FROM read_parquet('{parquet_file}') WHERE name = 'beta' ORDER BY id").arrow()
    want = want.read_all() if hasattr(want, "read_all") else want
    assert got.column("id").to_pylist() == want.column("id").to_pylist()
    assert got.column("tag").to_pylist() == want.column("tag").to_pylist()


def test_strings_used_after_the_filter_and_in_a_group_by(parquet_file):
    got = (sabot.read_parquet(parquet_file).filter(col("x") > 0.5)
           .with_columns(upper=sabot.call("utf8_upper", col("name")))
           .group_by("upper").agg(n=sabot.agg.count()).sort("upper").collect())
    want = duckdb.sql(f"""SELECT upper(name) AS upper, count(*) AS n FROM read_parquet('{parquet_file}')
                          WHERE x > 0.5 GROUP BY 1 ORDER BY 1 NULLS LAST""").arrow()
    want = want.read_all() if hasattr(want, "read_all") else want
    assert got.column("upper").to_pylist() == want.column("upper").to_pylist()
    assert got.column("n").to_pylist() == want.column("n").to_pylist()


def test_explain_shows_plain_strings(parquet_file):
    text = sabot.read_parquet(parquet_file).filter(col("x") < 0.2).explain()
    assert "name: string" in text and "dictionary" not in text


@pytest.mark.parametrize("columns", [["id"], ["id", "name", "tag"]])
def test_the_filter_in_the_scan_counts_its_rows(parquet_file, columns):
    # The scan tests the rows itself (no Filter operator); explain_analyze still shows the
    # filter's step with every row read in and the rows that pass out, whether or not
    # dictionary strings are decoded after it.
    text = sabot.read_parquet(parquet_file).filter(col("x") < 0.2).select(*columns).explain_analyze()
    line = next(line for line in text.splitlines() if line.strip().startswith("Filter"))
    rows_in, _, rows_out, _ = (int(v) for v in re.search(r"\s(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+[0-9.]+\s", line).groups())
    want = duckdb.sql(f"SELECT count(*) FROM read_parquet('{parquet_file}') WHERE x < 0.2").fetchall()[0][0]
    assert (rows_in, rows_out) == (300_000, want)


def test_no_row_of_a_row_group_passes(parquet_file):
    # Only the first of the six row groups holds ids below 1000: the others yield no batch
    # (their statistics rule them out unread: test_row_group_pruning.py).
    got = sabot.read_parquet(parquet_file).filter(col("id") < 1000).select("id", "name").collect()
    want = duckdb.sql(f"SELECT id, name FROM read_parquet('{parquet_file}') WHERE id < 1000 ORDER BY id").arrow()
    want = want.read_all() if hasattr(want, "read_all") else want
    assert got.column("id").to_pylist() == want.column("id").to_pylist()
    assert got.column("name").to_pylist() == want.column("name").to_pylist()
    for predicate in (col("id") < 0, col("x") < 0.0):  # skipped unread; read, none passing
        nothing = sabot.read_parquet(parquet_file).filter(predicate).select("id", "name").collect()
        assert nothing.num_rows == 0 and nothing.schema.names == ["id", "name"]


def test_an_error_of_the_filter_in_the_scan_is_the_filters(parquet_file):
    # A predicate that fails on a row reports that failure, as the Filter operator over
    # the same rows in memory does, and the file; it is not taken for a corrupt file.
    def failure(stream):
        with pytest.raises(sabot.SabotError) as error:
            stream.filter(col("tag").cast("int64") > 1).select("id").collect()
        return str(error.value)

    from_scan = failure(sabot.read_parquet(parquet_file))
    in_memory = failure(sabot.from_arrow(pq.read_table(parquet_file)))
    assert "not a valid Parquet file" not in from_scan
    assert "alpha" in from_scan or "beta" in from_scan or "gamma" in from_scan, from_scan
    # (Which failing value comes first depends on the order the threads read the rows.)
    assert in_memory.split("Failed")[0] in from_scan and str(parquet_file) in from_scan, (from_scan, in_memory)


def test_the_filter_counts_what_passes_it_when_a_join_tests_keys_in_the_scan_too(parquet_file):
    # The semi join below has the scan drop the rows whose id the 50 kept ids lack; the
    # filter's step still counts the rows that pass the filter, and the answer is DuckDB's.
    ids = sabot.from_arrow(pa.table({"k": pa.array(range(0, 300_000, 6000), pa.int64())}))
    stream = (sabot.read_parquet(parquet_file).filter(col("x") < 0.5).select("id", "name")
              .join(ids, left_on="id", right_on="k", how="semi"))
    sabot.set_threads(2)
    try:
        text = stream.explain_analyze()
        got = stream.collect().sort_by("id")
    finally:
        sabot.set_threads(None)
    line = next(line for line in text.splitlines() if line.strip().startswith("Filter"))
    rows_in, _, rows_out, _ = (int(v) for v in re.search(r"\s(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+[0-9.]+\s", line).groups())
    passing = duckdb.sql(f"SELECT count(*) FROM read_parquet('{parquet_file}') WHERE x < 0.5").fetchall()[0][0]
    assert (rows_in, rows_out) == (300_000, passing)
    want = duckdb.sql(f"SELECT id, name FROM read_parquet('{parquet_file}') WHERE x < 0.5 AND id % 6000 = 0 "
                      "ORDER BY id").arrow()
    want = want.read_all() if hasattr(want, "read_all") else want
    assert got.column("id").to_pylist() == want.column("id").to_pylist()
    assert got.column("name").to_pylist() == want.column("name").to_pylist()
