"""A join probed from a Parquet scan has the scan drop the rows whose key no build row
shares a hash with. Where the one key column is dictionary-encoded with no more entries
than a batch has rows (TPC-H lineitem's order keys), the scan looks each entry up once per
chunk and each row by its index (unless a filter left fewer rows than entries); otherwise
it hashes the values. Every shape of key chunk
(small dictionary, large dictionary, plain fallback, nulls) against DuckDB on the same
files, on 1, 2 and 8 threads."""
from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sabot
from sabot.expr import col

ROWS = 240_000


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("key_by_entry")
    rng = np.random.default_rng(11)
    keys = {
        "repeated": np.sort(rng.integers(0, ROWS // 4, ROWS)),  # ~4 rows a key: a small dictionary
        "unique": rng.permutation(ROWS),                        # a dictionary as large as the chunk
    }
    with_nulls = pa.array(keys["repeated"], pa.int64(), mask=rng.random(ROWS) < 0.05)
    lines = pa.table({"k": pa.array(keys["repeated"], pa.int64()), "u": pa.array(keys["unique"], pa.int64()),
                      "n": with_nulls, "x": rng.random(ROWS), "id": np.arange(ROWS)})
    paths = {"dictionary": folder / "lines.parquet", "plain": folder / "plain.parquet"}
    pq.write_table(lines, paths["dictionary"], row_group_size=100_000)
    # A dictionary page limit of 4 KB: the writer falls back to plain pages in each chunk.
    pq.write_table(lines, paths["plain"], row_group_size=100_000, dictionary_pagesize_limit=4096)
    few = pa.table({"key": pa.array(np.arange(0, ROWS, 37), pa.int64()), "tag": np.arange(len(range(0, ROWS, 37)))})
    most = pa.table({"key": pa.array(np.arange(0, ROWS)[np.arange(ROWS) % 10 != 3], pa.int64())})
    return paths, few, most


@pytest.mark.parametrize("file", ["dictionary", "plain"])
@pytest.mark.parametrize("key", ["k", "u", "n"])
@pytest.mark.parametrize("threads", [1, 2, 8])
def test_inner_and_semi_joins_as_duckdb(files, file, key, threads):
    paths, few, most = files
    path = paths[file]
    scan = sabot.read_parquet(str(path))
    cases = [
        (scan.select("id", key).join(sabot.from_arrow(few), left_on=key, right_on="key"),
         f"SELECT id, {key}, tag FROM '{path}' JOIN few ON {key} = key"),
        (scan.filter(col("x") < 0.6).select("id", key).join(sabot.from_arrow(few), left_on=key, right_on="key",
                                                            how="semi"),
         f"SELECT id, {key} FROM '{path}' WHERE x < 0.6 AND {key} IN (SELECT key FROM few)"),
        # A selective filter first: fewer rows left than entries, so the keys at those
        # rows are looked up instead of the chunk's entries.
        (scan.filter(col("x") < 0.05).select("id", key).join(sabot.from_arrow(few), left_on=key, right_on="key"),
         f"SELECT id, {key}, tag FROM '{path}' JOIN few ON {key} = key WHERE x < 0.05"),
        # Most keys match: the key test turns itself off after its trial rows.
        (scan.select("id", key).join(sabot.from_arrow(most), left_on=key, right_on="key", how="semi"),
         f"SELECT id, {key} FROM '{path}' WHERE {key} IN (SELECT key FROM most)"),
    ]
    for stream, sql in cases:
        got = stream.collect(threads=threads).sort_by("id")
        want = duckdb.sql(sql + " ORDER BY id").to_arrow_table()
        assert got.num_rows == want.num_rows > 0, sql
        assert got.column("id").to_pylist() == want.column("id").to_pylist(), sql
        assert got.column(key).to_pylist() == want.column(key).to_pylist(), sql
