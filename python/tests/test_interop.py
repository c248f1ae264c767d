"""Arrow interop: from_arrow() of everything speaking the PyCapsule protocol, results
out as tables, readers, pandas and rows, and no copy on the way in or out."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import sabot
from sabot import col
from sabot_test_support import assert_same_rows

ROWS = 200_000  # more than one engine batch (~64K rows), so slicing is exercised


@pytest.fixture(scope="module")
def big_table() -> pa.Table:
    rng = np.random.default_rng(11)
    return pa.table({"x": np.arange(ROWS, dtype=np.int64), "y": rng.random(ROWS),
                     "s": pa.array([f"v{i % 97}" for i in range(ROWS)])})


def _buffer_ranges(column: pa.ChunkedArray) -> list[tuple[int, int]]:
    return [(b.address, b.address + b.size) for chunk in column.chunks for b in chunk.buffers()
            if b is not None]


def assert_shares_buffers(out: pa.Table, source: pa.Table) -> None:
    """Every data buffer of `out` lies inside a buffer of the same column of `source`
    (the engine slices big tables into batches without copying, so addresses move
    inside the source's buffers but never leave them)."""
    for name in out.column_names:
        ranges = _buffer_ranges(source[name])
        column = out[name]
        assert column.num_chunks >= 1
        for chunk in column.chunks:
            data = chunk.buffers()[-1] if pa.types.is_string(chunk.type) else chunk.buffers()[1]
            assert any(lo <= data.address and data.address + data.size <= hi for lo, hi in ranges), (
                f"column {name}: buffer at {data.address:#x} (+{data.size}) was copied")


def test_zero_copy_passthrough(big_table):
    out = sabot.from_arrow(big_table).collect()
    assert out.equals(big_table)
    assert out["x"].num_chunks > 1  # sliced into batches...
    assert_shares_buffers(out, big_table)  # ...that still point into the input


def test_zero_copy_select(big_table):
    out = sabot.from_arrow(big_table).select("y", "x").collect()
    assert out.column_names == ["y", "x"]
    assert_shares_buffers(out, big_table)
    # The same addresses, chunk by chunk: the first slice starts at the input's start.
    assert out["x"].chunks[0].buffers()[1].address == big_table["x"].chunks[0].buffers()[1].address


def test_zero_copy_with_columns_keeps_untouched_columns(big_table):
    out = sabot.from_arrow(big_table).with_columns(z=col("x") + 1).collect()
    assert_shares_buffers(out.select(["x", "y", "s"]), big_table)
    assert out["z"].to_pylist()[:3] == [1, 2, 3]


def test_zero_copy_out_through_c_stream(big_table):
    stream = sabot.from_arrow(big_table).select("x", "s")
    assert hasattr(stream, "__arrow_c_stream__")
    out = pa.table(stream)
    assert out.equals(big_table.select(["x", "s"]))
    assert_shares_buffers(out, big_table)
    reader = pa.RecordBatchReader.from_stream(sabot.from_arrow(big_table))
    assert reader.read_all().num_rows == ROWS


def test_iterated_batches_share_buffers(big_table):
    batches = list(sabot.from_arrow(big_table))
    assert all(isinstance(b, pa.RecordBatch) for b in batches)
    assert sum(b.num_rows for b in batches) == ROWS
    assert_shares_buffers(pa.Table.from_batches(batches), big_table)


def test_from_record_batch(big_table):
    batch = big_table.slice(0, 1000).combine_chunks().to_batches()[0]
    out = sabot.from_arrow(batch).collect()
    assert out.equals(pa.Table.from_batches([batch]))
    assert_shares_buffers(out, pa.Table.from_batches([batch]))


def test_from_record_batch_reader(big_table):
    reader = pa.RecordBatchReader.from_batches(big_table.schema, big_table.to_batches(max_chunksize=10_000))
    out = sabot.from_arrow(reader).select("s", "x").collect()
    assert out.equals(big_table.select(["s", "x"]))
    assert_shares_buffers(out, big_table)


def test_from_duckdb_relation(duck):
    rel = duck.sql("SELECT range AS n, range % 3 AS m, 'r' || range::VARCHAR AS s FROM range(10000)")
    assert hasattr(rel, "__arrow_c_stream__")
    got = sabot.from_arrow(rel).filter(col("m") == 1).collect()
    want = duck.sql("SELECT range AS n, range % 3 AS m, 'r' || range::VARCHAR AS s FROM range(10000) "
                    "WHERE range % 3 = 1").to_arrow_table()
    assert_same_rows(got, want)


def test_duckdb_reads_a_stream(duck, big_table):
    result = pa.table(sabot.from_arrow(big_table).filter(col("x") < 1000))
    duck.register("r", result)
    assert duck.execute("SELECT count(*), sum(x) FROM r").fetchone() == (1000, sum(range(1000)))


def test_from_arrow_rejects_other_objects():
    with pytest.raises(TypeError, match="__arrow_c_stream__"):
        sabot.from_arrow([1, 2, 3])


def test_records(trips_csv):
    rows = list(sabot.read_csv(trips_csv).select("trip_id", "zone").limit(3).records())
    assert rows == [{"trip_id": 1, "zone": "Harlem"}, {"trip_id": 2, "zone": "Flushing"},
                    {"trip_id": 3, "zone": "Harlem"}]


def test_to_arrow_is_collect(big_table):
    assert sabot.from_arrow(big_table).to_arrow().equals(big_table)


def test_empty_result_keeps_schema(big_table):
    out = sabot.from_arrow(big_table).filter(col("x") < 0).collect()
    assert out.num_rows == 0 and out.schema.equals(big_table.schema)
    assert list(sabot.from_arrow(big_table).filter(col("x") < 0).records()) == []


def test_to_pandas(trips_csv, duck):
    pd = pytest.importorskip("pandas")
    df = sabot.read_csv(trips_csv).filter(col("distance_km") > 5).select("trip_id", "fare").to_pandas()
    assert isinstance(df, pd.DataFrame)
    want = duck.sql(f"SELECT trip_id, fare FROM read_csv_auto('{trips_csv}') WHERE distance_km > 5 "
                    "ORDER BY trip_id").df()
    assert df.sort_values("trip_id").reset_index(drop=True).equals(want)


def test_from_pandas():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", None, "z"], "c": [0.5, 1.5, None]})
    out = sabot.from_arrow(df).filter(col("a") >= 2).collect()
    assert out.to_pylist() == [{"a": 2, "b": None, "c": 1.5}, {"a": 3, "b": "z", "c": None}]


def test_to_polars(trips_csv):
    pl = pytest.importorskip("polars")
    df = sabot.read_csv(trips_csv).limit(5).to_polars()
    assert isinstance(df, pl.DataFrame) and df.height == 5
