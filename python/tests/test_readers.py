"""Every reader: same rows as pyarrow/DuckDB read from the same file; explicit schemas;
column projection; errors that name the file."""
from __future__ import annotations

import pyarrow as pa
import pytest

import sabot
from sabot_test_support import assert_same_rows


def test_read_parquet(data_files, sample_table):
    got = sabot.read_parquet(data_files["parquet"]).collect()
    assert got.schema.equals(sample_table.schema)
    assert got.equals(sample_table)


def test_read_parquet_columns(data_files, sample_table):
    got = sabot.read_parquet(data_files["parquet"], columns=["category", "id"]).collect()
    assert sorted(got.column_names) == ["category", "id"]
    assert_same_rows(got.select(["id", "category"]), sample_table.select(["id", "category"]))


def test_read_ipc_file_and_stream(data_files, sample_table):
    assert sabot.read_ipc(data_files["ipc"]).collect().equals(sample_table)
    assert sabot.read_ipc(data_files["ipc_stream"], stream=True).collect().equals(sample_table)


def test_read_ipc_columns(data_files, sample_table):
    got = sabot.read_ipc(data_files["ipc"], columns=["price"]).collect()
    assert got.column_names == ["price"]
    assert got["price"].equals(sample_table["price"])


def test_read_csv_vs_duckdb(duck, data_files):
    got = sabot.read_csv(data_files["csv"]).collect()
    want = duck.sql(f"SELECT * FROM read_csv_auto('{data_files['csv']}')").to_arrow_table()
    assert pa.types.is_timestamp(got.schema.field("ts").type)
    # Arrow's CSV inference picks ns for fractional seconds, DuckDB us: compare as us.
    got = got.set_column(5, "ts", got["ts"].cast(pa.timestamp("us")))
    want = want.set_column(5, "ts", want["ts"].cast(pa.timestamp("us")))
    assert_same_rows(got, want)


def test_read_csv_explicit_schema(data_files, sample_table):
    schema = pa.schema([("id", pa.int32()), ("qty", pa.int16()), ("price", pa.float32()),
                        ("category", pa.string()), ("flag", pa.bool_()), ("ts", pa.timestamp("us"))])
    got = sabot.read_csv(data_files["csv"], schema=schema).collect()
    assert got.schema.equals(schema)
    assert got.equals(sample_table.cast(schema))


def test_read_csv_schema_mismatch_names_the_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,x\n2,y\n")
    with pytest.raises(sabot.SabotError, match="bad.csv"):
        sabot.read_csv(path, schema=pa.schema([("a", pa.int64()), ("b", pa.int64())])).collect()


def test_read_csv_delimiter_no_header_and_columns(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("1;x;2.5\n2;;3.5\n")
    schema = pa.schema([("n", pa.int64()), ("s", pa.string()), ("f", pa.float64())])
    got = sabot.read_csv(path, schema=schema, delimiter=";", header=False).collect()
    assert got.to_pylist() == [{"n": 1, "s": "x", "f": 2.5}, {"n": 2, "s": None, "f": 3.5}]
    only = sabot.read_csv(path, schema=schema, delimiter=";", header=False, columns=["f"]).collect()
    assert only.column_names == ["f"]


def test_read_json_vs_duckdb(duck, data_files, sample_table):
    got = sabot.read_json(data_files["jsonl"]).collect()
    want = duck.sql(f"SELECT * FROM read_json_auto('{data_files['jsonl']}')").to_arrow_table()
    assert got.column_names == sample_table.column_names
    assert_same_rows(got.select(["id", "qty", "price", "category", "flag"]),
                     want.select(["id", "qty", "price", "category", "flag"]))


def test_read_json_explicit_schema(data_files, sample_table):
    schema = pa.schema([("id", pa.int64()), ("qty", pa.int32()), ("price", pa.float64()),
                        ("category", pa.string()), ("flag", pa.bool_()), ("ts", pa.timestamp("us"))])
    got = sabot.read_json(data_files["jsonl"], schema=schema).collect()
    assert got.schema.equals(schema)
    assert_same_rows(got, sample_table.cast(schema))


def test_read_folder_and_glob(tmp_path, sample_table):
    import pyarrow.parquet as pq
    for i in range(3):
        pq.write_table(sample_table.slice(i * 100, 100), tmp_path / f"part-{i}.parquet")
    assert sabot.read_parquet(tmp_path).count() == 300
    assert sabot.read_parquet(tmp_path / "part-*.parquet").count() == 300
    assert_same_rows(sabot.read_parquet(tmp_path).collect(), sample_table.slice(0, 300))


@pytest.mark.parametrize("reader", [sabot.read_csv, sabot.read_json, sabot.read_parquet, sabot.read_ipc])
def test_missing_file_is_a_sabot_error(reader, tmp_path):
    missing = tmp_path / "no_such_file.dat"
    with pytest.raises(sabot.SabotError, match="no_such_file.dat"):
        reader(missing).collect()


def test_malformed_parquet_names_the_file(tmp_path):
    path = tmp_path / "garbage.parquet"
    path.write_bytes(b"this is not parquet")
    with pytest.raises(sabot.SabotError, match="garbage.parquet"):
        sabot.read_parquet(path).collect()
