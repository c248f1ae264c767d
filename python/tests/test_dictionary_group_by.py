"""Group-by over dictionary-encoded Parquet string keys: the aggregate groups the keys as
read (per dictionary entry, with each row group's own dictionary) and outputs plain
strings. Results and types must be what grouping decoded strings gives (DuckDB on the
same file), on one thread and with partial states merged across threads."""
from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sabot
from sabot import agg
from sabot.expr import col


@pytest.fixture(scope="module")
def parquet_file(tmp_path_factory):
    rng = np.random.default_rng(17)
    n = 240_000
    flags = np.array(["A", "N", "R", "", "Ω"])
    status = np.array(["F", "O"])
    # Each row group (30K rows) draws from its own subset, in its own order, so the
    # dictionaries differ: values come and go, and their indices change.
    group = np.arange(n) // 30_000
    a = flags[(rng.integers(0, 3, n) + group) % len(flags)].astype(object)
    b = status[rng.integers(0, 2, n)].astype(object)
    a[rng.random(n) < 0.02] = None
    b[(group == 3) & (rng.random(n) < 0.3)] = None  # nulls in one row group only
    table = pa.table({"a": pa.array(a, pa.string()), "b": pa.array(b, pa.string()),
                      "flag": pa.array(rng.random(n) < 0.5), "k": rng.integers(0, 4, n),
                      "x": rng.random(n), "q": rng.integers(1, 50, n)})
    path = tmp_path_factory.mktemp("dictgroup") / "t.parquet"
    pq.write_table(table, path, row_group_size=30_000, use_dictionary=True)
    return path


def _rows(table: pa.Table, keys: list[str]) -> list[tuple]:
    rows = list(zip(*(table.column(c).to_pylist() for c in table.column_names)))
    return sorted(rows, key=lambda r: tuple((v is None, v) for v in r[:len(keys)]))


def _assert_same(got: pa.Table, want: pa.Table, keys: list[str]) -> None:
    assert got.column_names == want.column_names
    got_rows, want_rows = _rows(got, keys), _rows(want, keys)
    assert len(got_rows) == len(want_rows)
    for g, w in zip(got_rows, want_rows):
        assert g[:len(keys)] == w[:len(keys)]
        for got_value, want_value in zip(g[len(keys):], w[len(keys):]):
            if isinstance(want_value, str) or want_value is None:
                assert got_value == want_value
            else:  # DuckDB sums integers as decimals
                assert got_value == pytest.approx(float(want_value), rel=1e-9)


def _duck(sql: str) -> pa.Table:
    got = duckdb.sql(sql).arrow()
    return got.read_all() if hasattr(got, "read_all") else got


@pytest.mark.parametrize("threads", [1, 2, 8])
@pytest.mark.parametrize("keys", [["a", "b"], ["b"], ["a", "flag"], ["a", "k"]])
def test_group_by_dictionary_keys_matches_duckdb(parquet_file, threads, keys):
    sabot.set_threads(threads)
    try:
        got = (sabot.read_parquet(parquet_file).filter(col("x") < 0.9)
               .with_columns(y=col("x") * 2)
               .group_by(*keys)
               .agg(s=agg.sum("q"), m=agg.mean("y"), n=agg.count(), lo=agg.min("x"))
               .collect())
    finally:
        sabot.set_threads(None)
    for key in keys:
        if key in ("a", "b"):
            assert got.schema.field(key).type == pa.string()
    key_list = ", ".join(keys)
    want = _duck(f"""SELECT {key_list}, sum(q) AS s, avg(x * 2) AS m, count(*) AS n, min(x) AS lo
                     FROM read_parquet('{parquet_file}') WHERE x < 0.9 GROUP BY {key_list}""")
    _assert_same(got, want, keys)


@pytest.mark.parametrize("threads", [1, 2, 8])
@pytest.mark.parametrize("keys", [["a", "b"], ["a", "k"]])
def test_group_by_dictionary_keys_of_a_scan_without_filter_matches_duckdb(parquet_file, threads, keys):
    sabot.set_threads(threads)
    try:
        got = (sabot.read_parquet(parquet_file).group_by(*keys)
               .agg(s=agg.sum("q"), n=agg.count(), lo=agg.min("x")).collect())
    finally:
        sabot.set_threads(None)
    assert got.schema.field("a").type == pa.string()
    key_list = ", ".join(keys)
    want = _duck(f"""SELECT {key_list}, sum(q) AS s, count(*) AS n, min(x) AS lo
                     FROM read_parquet('{parquet_file}') GROUP BY {key_list}""")
    _assert_same(got, want, keys)


@pytest.fixture(scope="module")
def dimension_file(tmp_path_factory):
    # One row per k of the fact file (0..3) and two more; names and tiers dictionary-encoded.
    table = pa.table({"id": pa.array([0, 1, 2, 3, 4, 5], pa.int64()),
                      "name": ["zero", "one", "two", "three", "four", "five"],
                      "tier": ["low", "low", "high", None, "high", "low"],
                      "w": [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]})
    path = tmp_path_factory.mktemp("dictgroup_dim") / "dim.parquet"
    pq.write_table(table, path, use_dictionary=True)
    return path


@pytest.mark.parametrize("threads", [1, 2, 8])
@pytest.mark.parametrize("filtered", [False, True])
def test_group_by_dictionary_keys_across_a_join_matches_duckdb(parquet_file, dimension_file, threads, filtered):
    """Keys from both sides of a join: `a` from the probe scan, `tier` from the build side
    (a bare scan, or a filtered one)."""
    dims = sabot.read_parquet(dimension_file)
    if filtered:
        dims = dims.filter(col("w") < 5.0)
    sabot.set_threads(threads)
    try:
        got = (sabot.read_parquet(parquet_file).join(dims, left_on="k", right_on="id")
               .group_by("a", "tier").agg(s=agg.sum("q"), n=agg.count()).collect())
    finally:
        sabot.set_threads(None)
    assert got.schema.field("a").type == pa.string() and got.schema.field("tier").type == pa.string()
    where = "WHERE w < 5.0" if filtered else ""
    want = _duck(f"""SELECT a, tier, sum(q) AS s, count(*) AS n FROM read_parquet('{parquet_file}')
                     JOIN (SELECT * FROM read_parquet('{dimension_file}') {where}) ON k = id
                     GROUP BY a, tier""")
    _assert_same(got, want, ["a", "tier"])


@pytest.mark.parametrize("threads", [1, 2])
def test_an_aggregate_over_a_key_column_still_sees_strings(parquet_file, threads):
    sabot.set_threads(threads)
    try:
        got = (sabot.read_parquet(parquet_file).filter(col("x") > 0.3)
               .group_by("b").agg(lo=agg.min("a"), n=agg.count()).collect())
    finally:
        sabot.set_threads(None)
    assert got.schema.field("lo").type == pa.string()
    want = _duck(f"""SELECT b, min(a) AS lo, count(*) AS n FROM read_parquet('{parquet_file}')
                     WHERE x > 0.3 GROUP BY b""")
    _assert_same(got, want, ["b"])


def test_explain_shows_plain_strings_below_the_aggregate(parquet_file):
    text = (sabot.read_parquet(parquet_file).filter(col("x") < 0.5)
            .group_by("a", "b").agg(n=agg.count()).explain())
    assert "dictionary" not in text
