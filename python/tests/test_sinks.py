"""File sinks: row counts, files that read back equal, nothing left by a failed write."""
from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.feather as feather
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

import sabot
from sabot import col
from sabot_test_support import assert_same_rows


@pytest.fixture()
def result(trips_csv):
    stream = (sabot.read_csv(trips_csv).filter(col("distance_km") > 2)
              .with_columns(fare_per_km=col("fare") / col("distance_km")))
    return stream, stream.collect()


def test_write_parquet(tmp_path, result):
    stream, expected = result
    path = tmp_path / "out.parquet"
    assert stream.write_parquet(path) == expected.num_rows
    # Parquet has no second-resolution timestamps; they are stored as milliseconds.
    expected = expected.set_column(1, "pickup_time", expected["pickup_time"].cast(pa.timestamp("ms")))
    assert pq.read_table(path).equals(expected)
    assert sabot.read_parquet(path).collect().equals(expected)


def test_write_ipc_file_and_stream(tmp_path, result):
    stream, expected = result
    assert stream.write_ipc(tmp_path / "out.arrow") == expected.num_rows
    assert feather.read_table(tmp_path / "out.arrow").equals(expected)
    assert stream.write_ipc(tmp_path / "out.arrows", stream=True) == expected.num_rows
    assert ipc.open_stream(tmp_path / "out.arrows").read_all().equals(expected)
    assert sabot.read_ipc(tmp_path / "out.arrows", stream=True).collect().equals(expected)


def test_write_csv(tmp_path, result, duck):
    stream, expected = result
    path = tmp_path / "out.csv"
    assert stream.write_csv(path) == expected.num_rows
    back = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types=expected.schema))
    assert_same_rows(back, expected)
    assert duck.sql(f"SELECT count(*) FROM read_csv_auto('{path}')").fetchall() == [(expected.num_rows,)]


def test_write_json(tmp_path, result):
    stream, expected = result
    path = tmp_path / "out.jsonl"
    assert stream.write_json(path) == expected.num_rows
    lines = path.read_text().splitlines()
    assert len(lines) == expected.num_rows
    first = json.loads(lines[0])
    assert set(first) == set(expected.column_names)
    back = sabot.read_json(path, schema=expected.schema).collect()
    assert_same_rows(back, expected)


def test_write_empty_result_keeps_schema(tmp_path, trips_csv):
    path = tmp_path / "empty.parquet"
    assert sabot.read_csv(trips_csv).filter(col("fare") < 0).write_parquet(path) == 0
    back = pq.read_table(path)
    assert back.num_rows == 0 and "fare" in back.column_names


def test_failed_write_leaves_no_file(tmp_path, trips_csv):
    path = tmp_path / "out.parquet"
    bad = sabot.read_csv(trips_csv).with_columns(boom=col("zone").cast("int64"))
    with pytest.raises(sabot.SabotError, match="zone|Harlem"):
        bad.write_parquet(path)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_an_existing_file(tmp_path, trips_csv):
    path = tmp_path / "out.csv"
    path.write_text("old contents\n")
    with pytest.raises(sabot.SabotError):
        sabot.read_csv(trips_csv).select(x=col("missing")).write_csv(path)
    assert path.read_text() == "old contents\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_write_into_missing_directory(tmp_path, trips_csv):
    with pytest.raises(sabot.SabotError, match="does not exist"):
        sabot.read_csv(trips_csv).write_parquet(tmp_path / "nope" / "out.parquet")


def test_count(trips_csv, duck):
    n = sabot.read_csv(trips_csv).filter(col("passengers") > 2).count()
    assert n == duck.sql(f"SELECT count(*) FROM read_csv_auto('{trips_csv}') WHERE passengers > 2").fetchall()[0][0]


def test_explain_shows_the_tree_with_schemas(trips_csv):
    stream = (sabot.read_csv(trips_csv).filter(col("distance_km") > 5)
              .with_columns(fpk=col("fare") / col("distance_km")).select("trip_id", "fpk"))
    text = stream.explain()
    lines = text.splitlines()
    assert lines[0] == "Project trip_id, fpk"
    assert lines[1] == "  -> trip_id: int64, fpk: float64"
    assert any("Filter (distance_km > 5)" in line for line in lines)
    assert any(line.strip().startswith("Source csv") and "trips.csv" in line for line in lines)
    # Projection pushdown: the source reads only the columns the plan uses, and says so.
    assert any("columns=[trip_id, distance_km, fare]" in line for line in lines)
    assert any(line.strip() == "-> trip_id: int64, distance_km: float64, fare: float64" for line in lines)
    assert not any("zone" in line for line in lines)
    bare = stream.explain(schemas=False)
    assert "->" not in bare and "Filter" in bare
    assert "Filter" in repr(stream)


def test_explain_is_stable_for_long_plans(trips_csv, tmp_path):
    # explain_with_schemas (python/src/module.cc) once read its text through a
    # string_view into a destroyed temporary: garbage or UnicodeDecodeError.
    stream = (sabot.read_csv(trips_csv)
              .filter((col("distance_km") > 5) & col("tip").is_valid())
              .with_columns(fare_per_km=sabot.call("round", col("fare") / col("distance_km"), ndigits=2),
                            tip_pct=sabot.call("round", col("tip") / col("fare") * 100, ndigits=1),
                            zone=sabot.call("utf8_upper", col("zone")))
              .select("trip_id", "zone", "distance_km", "fare_per_km", "tip_pct"))
    # The plan file's explain, less its sink, is what Stream.explain() shows.
    plan = tmp_path / "plan.json"
    plan.write_text(stream.to_plan_json("parquet", str(tmp_path / "out.parquet")))
    full = sabot._core.explain_plan_file(str(plan)).splitlines(keepends=True)
    expected = "".join(line[2:] for line in full[2:])
    assert expected.startswith("Project trip_id, zone, distance_km, fare_per_km, tip_pct\n")
    for _ in range(50):
        assert stream.explain() == expected
