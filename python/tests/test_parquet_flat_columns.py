"""Parquet columns read by the flat fast path (fixed width, no nulls) and by Arrow's
reader must give the same table as pyarrow, whichever path each column takes."""
import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sabot

ROWS = 150_000  # more than two 64K-row batches, so batches split inside pages


def table(with_nulls: bool) -> pa.Table:
    rng = np.random.default_rng(3)
    ints = rng.integers(-1_000_000, 1_000_000, ROWS)
    mask = (rng.random(ROWS) < 0.1) if with_nulls else None
    ts = pa.array(ints * 1_000, pa.int64())
    return pa.table({
        "i32": pa.array(ints.astype(np.int32), pa.int32(), mask=mask),
        "i64": pa.array(ints * 7, pa.int64(), mask=mask),
        "f32": pa.array(ints.astype(np.float32) / 3, pa.float32()),
        "f64": pa.array(np.round(ints / 100, 2), pa.float64(), mask=mask),
        "d32": pa.array((ints % 20_000).astype(np.int32), pa.int32()).cast(pa.date32()),
        "ts_us": ts.cast(pa.timestamp("us")),
        "ts_ms": ts.cast(pa.timestamp("ms")),
        "ts_ns": ts.cast(pa.timestamp("ns", tz="UTC")),
        "ts_s": ts.cast(pa.timestamp("s")),  # stored as milliseconds: converted by Arrow
        "i8": pa.array((ints % 100).astype(np.int8)),  # stored as int32: narrowed by Arrow
        "u32": pa.array(np.abs(ints).astype(np.uint32)),
        "dec": pa.array([None if with_nulls and i % 7 == 0 else i for i in range(ROWS)],
                        pa.int64()).cast(pa.decimal128(22, 0)),
        "s": pa.array([f"v{i % 1000}" for i in range(ROWS)]),
        "s_nulls": pa.array([None if with_nulls and i % 5 == 0 else f"n{i % 300}" for i in range(ROWS)]),
        "bin": pa.array([b"b%d" % (i % 50) for i in range(ROWS)], pa.binary()),
        # Too many distinct values for one dictionary page: the writer falls back to
        # plain pages part way through the chunk, which only Arrow's reader decodes.
        "s_wide": pa.array([f"w{i}" for i in range(ROWS)]),
    })


@pytest.mark.parametrize("with_nulls", [False, True])
@pytest.mark.parametrize("options", [
    dict(),
    dict(use_dictionary=False, compression="snappy", data_page_size=4096),
    dict(write_statistics=False),  # no null counts: every column takes Arrow's path
    dict(row_group_size=50_000, compression="zstd"),
    dict(dictionary_pagesize_limit=2048),
])
def test_every_column_matches_pyarrow(tmp_path, with_nulls, options):
    expected = table(with_nulls)
    path = tmp_path / "t.parquet"
    pq.write_table(expected, path, **options)
    got = sabot.read_parquet(str(path)).collect(threads=2)
    want = pq.read_table(path)
    assert got.schema.remove_metadata() == want.schema.remove_metadata()
    assert got.equals(want.replace_schema_metadata(got.schema.metadata))


def test_projection_order_and_filter(tmp_path):
    expected = table(with_nulls=False)
    path = tmp_path / "t.parquet"
    pq.write_table(expected, path, row_group_size=70_000)
    from sabot.expr import col
    got = (sabot.read_parquet(str(path), columns=["f64", "s", "i32", "ts_us"])
           .filter(col("i32") > 0).collect(threads=2))
    want = pq.read_table(path, columns=["f64", "s", "i32", "ts_us"])
    want = want.filter(pa.compute.greater(want["i32"], 0))
    assert got.equals(want)


def test_required_columns(tmp_path):
    schema = pa.schema([pa.field("a", pa.int64(), nullable=False), pa.field("b", pa.float64(), nullable=False)])
    expected = pa.table({"a": np.arange(100_000), "b": np.arange(100_000) / 2}, schema=schema)
    path = tmp_path / "t.parquet"
    pq.write_table(expected, path, write_statistics=False)  # required: no statistics needed
    assert sabot.read_parquet(str(path)).collect().equals(pq.read_table(path))


def test_corrupt_page_of_a_flat_column_names_the_file(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"a": np.arange(200_000), "b": np.arange(200_000) * 0.5}), path,
                   compression="zstd")
    data = bytearray(path.read_bytes())
    start = pq.ParquetFile(path).metadata.row_group(0).column(0).data_page_offset + 200
    data[start:start + 3000] = bytes((b * 7 + 13) % 256 for b in data[start:start + 3000])
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(bytes(data))
    with pytest.raises(Exception, match="bad.parquet: not a valid Parquet file"):
        sabot.read_parquet(str(bad)).collect()


def test_dictionary_index_outside_the_dictionary_names_column_and_index(tmp_path):
    # Five distinct keys take 3-bit indices; a run of 0xFF bytes in the data page makes
    # indices of 7, which must fail the read (read whole, at a filter's rows, and as a
    # filter's tested column), never read past the dictionary.
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"k": pa.array(np.arange(100_000) % 5, pa.int64()), "v": np.arange(100_000)}), path,
                   compression="none", row_group_size=100_000, use_dictionary=["k"])
    chunk = pq.ParquetFile(path).metadata.row_group(0).column(0)
    assert chunk.has_dictionary_page
    data = bytearray(path.read_bytes())
    middle = (chunk.data_page_offset + chunk.dictionary_page_offset + chunk.total_compressed_size) // 2
    data[middle:middle + 16] = b"\xff" * 16
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(bytes(data))
    expected = "bad.parquet.*column k: dictionary index 7 is outside its dictionary of 5 values"
    with pytest.raises(Exception, match=expected):
        sabot.read_parquet(str(bad)).collect()
    with pytest.raises(Exception, match=expected):
        sabot.read_parquet(str(bad)).filter(sabot.col("v") < 99_000).collect()
    # Tested alone by the scan's filter: read as its dictionary's indices, each checked.
    with pytest.raises(Exception, match=expected):
        sabot.read_parquet(str(bad)).filter(sabot.col("k") < 3).collect()
