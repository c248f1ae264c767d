"""Every file sink format: the written file reads back equal, with pyarrow and with Sabot."""
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.ipc as ipc
import pyarrow.json as pajson
import pyarrow.parquet as pq
import pytest

from e2e_util import (BASE_COLUMNS, EXT, JSONL_SCHEMA, assert_tables_equal, call, col, lit,
                      sink_file)

OUTPUT_FORMATS = ["csv", "jsonl", "ipc", "ipc_stream", "parquet"]


def read_back(path, fmt, schema):
    """Reads a Sabot output file with pyarrow, typed as `schema`."""
    if fmt == "parquet":
        return pq.read_table(path)
    if fmt == "ipc":
        return ipc.open_file(pa.memory_map(str(path))).read_all()
    if fmt == "ipc_stream":
        return ipc.open_stream(pa.memory_map(str(path))).read_all()
    if fmt == "csv":
        # Sabot writes null as an empty field and "" as a quoted empty string.
        convert = pacsv.ConvertOptions(column_types=schema, strings_can_be_null=True,
                                       quoted_strings_can_be_null=False)
        return pacsv.read_csv(path, convert_options=convert)
    if fmt == "jsonl":
        # Dates are written as "YYYY-MM-DD" text, which Arrow's JSON reader does not
        # convert; read them as text and cast.
        as_text = pa.schema([f.with_type(pa.string()) if pa.types.is_date(f.type) else f
                             for f in schema])
        table = pajson.read_json(path, parse_options=pajson.ParseOptions(explicit_schema=as_text))
        return table.cast(schema)
    raise ValueError(fmt)


def plan_and_expected(data, fmt):
    """A filtered scan of the Parquet input, and the rows pyarrow expects."""
    columns = BASE_COLUMNS + ([] if fmt == "csv" else ["nums"])
    plan = {"op": "filter", "input": data.source_node("parquet", columns=columns),
            "predicate": call("not_equal", call("bit_wise_and", col("id"), lit(3, "int64")),
                              lit(1, "int64"))}
    table = data.table.select(columns)
    expected = table.filter(pa.compute.not_equal(pa.compute.bit_wise_and(table["id"], 3), 1))
    return plan, expected


@pytest.mark.parametrize("fmt", OUTPUT_FORMATS)
def test_output_reads_back_equal(runner, data, tmp_path, fmt):
    plan, expected = plan_and_expected(data, fmt)
    out = tmp_path / f"out.{EXT[fmt]}"
    runner.run_ok(sink_file(plan, out, fmt=fmt))
    found = read_back(out, fmt, expected.schema)
    assert found.schema.names == expected.schema.names
    assert_tables_equal(found, expected, ordered=True)
    assert not list(tmp_path.glob("*.sabot-tmp-*"))


@pytest.mark.parametrize("fmt", ["jsonl", "ipc", "ipc_stream", "parquet"])
def test_sabot_reads_its_own_output(runner, data, tmp_path, fmt):
    plan, expected = plan_and_expected(data, fmt)
    first = tmp_path / f"first.{EXT[fmt]}"
    runner.run_ok(sink_file(plan, first, fmt=fmt))
    source = {"op": "source", "format": fmt, "path": str(first)}
    if fmt == "jsonl":
        source["schema"] = JSONL_SCHEMA + [{"name": "nums", "type": "list<int64>"}]
        source = {"op": "with_columns", "input": source,
                  "columns": [{"name": "d", "expr": call("cast", col("d"), to="date32")}]}
    second = tmp_path / "second.parquet"
    runner.run_ok(sink_file(source, second))
    assert_tables_equal(pq.read_table(second), expected, ordered=True)


def test_output_replaces_existing_file(runner, data, tmp_path):
    out = tmp_path / "out.parquet"
    out.write_bytes(b"old contents")
    runner.run_ok(sink_file({"op": "limit", "count": 7, "input": data.source_node("parquet")}, out))
    assert pq.read_table(out).num_rows == 7


def test_empty_result_keeps_schema(runner, data, tmp_path):
    out = tmp_path / "empty.parquet"
    plan = {"op": "filter", "input": data.source_node("parquet", columns=["id", "s"]),
            "predicate": call("less", col("id"), lit(0, "int64"))}
    runner.run_ok(sink_file(plan, out))
    table = pq.read_table(out)
    assert table.num_rows == 0 and table.schema.names == ["id", "s"]


# ---- CSV null strings ----

def test_csv_null_strings(runner, tmp_path):
    """An empty unquoted CSV field is null in a string column, as in every other column type.

    DuckDB, Spark and pyarrow (with strings_can_be_null) read it so, and Sabot's own CSV
    sink writes null that way ("" is written quoted), so a CSV round trip must keep nulls.
    """
    source_csv = tmp_path / "in.csv"
    source_csv.write_text('id,name,score\n1,"ann",1.5\n2,,\n3,"",2.5\n')
    out = tmp_path / "out.parquet"
    runner.run_ok(sink_file({"op": "source", "format": "csv", "path": str(source_csv)}, out))
    table = pq.read_table(out)
    assert table["score"].to_pylist() == [1.5, None, 2.5]
    assert table["name"].to_pylist() == ["ann", None, ""], (
        "an empty unquoted CSV field in a string column must read as null")


def test_csv_round_trip_keeps_string_nulls(runner, data, tmp_path):
    csv_out = tmp_path / "out.csv"
    runner.run_ok(sink_file(data.source_node("parquet", columns=["id", "s"]), csv_out, fmt="csv"))
    back = tmp_path / "back.parquet"
    runner.run_ok(sink_file({"op": "source", "format": "csv", "path": str(csv_out)}, back))
    assert_tables_equal(pq.read_table(back), data.table.select(["id", "s"]), ordered=True)
