"""map_batches: a UDF's exception reaches the caller as itself, with its traceback and
a note naming the operator; bad results and bad input are clear SabotErrors."""
from __future__ import annotations

import asyncio
import traceback

import pyarrow as pa
import pytest

import sabot
from sabot import col


class CustomUdfError(Exception):
    pass


def failing_pricing_udf(batch: pa.RecordBatch) -> pa.RecordBatch:
    if batch.num_rows:
        raise CustomUdfError(f"cannot price {batch.num_rows} rows")
    return batch


def _format(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


def test_udf_exception_keeps_type_traceback_and_names_the_operator():
    stream = sabot.generate(rows=1_000, batch_size=100).map_batches(failing_pricing_udf)
    with pytest.raises(CustomUdfError, match="cannot price 100 rows") as info:
        stream.collect()
    text = _format(info.value)
    assert "def failing_pricing_udf" in text or "in failing_pricing_udf" in text
    assert 'raise CustomUdfError(f"cannot price' in text  # the UDF's own source line
    notes = getattr(info.value, "__notes__", [])
    assert any("map_batches(failing_pricing_udf)" in n for n in notes), notes


def test_udf_exception_while_probing_the_schema():
    def always_fails(batch):
        raise ValueError("no schema for you")

    with pytest.raises(ValueError, match="no schema for you") as info:
        sabot.generate(rows=10).map_batches(always_fails).collect()
    text = _format(info.value)
    assert "in always_fails" in text
    assert "map_batches(" in text and "always_fails" in text
    assert "schema=" in text  # says how to avoid the probe


def test_udf_with_declared_schema_is_not_probed():
    calls = []

    def record(batch):
        calls.append(batch.num_rows)
        return batch

    table = pa.table({"id": list(range(300)), "name": [f"n{i}" for i in range(300)]})
    out = sabot.from_arrow(table).map_batches(record, schema=table.schema).collect()
    assert out.equals(table)
    assert calls and 0 not in calls


def test_declared_schema_matches_regardless_of_nullability():
    # The generator's columns are NOT NULL; a pass-through UDF declared with pyarrow's
    # default (nullable) fields is rejected today, by a message that shows the same
    # names and types on both sides. Nullability alone should not fail the job.
    schema = pa.schema([("id", pa.int64()), ("key", pa.int64()), ("value", pa.float64()),
                        ("category", pa.string()), ("ts", pa.timestamp("us"))])
    out = sabot.generate(rows=300, batch_size=100).map_batches(lambda b: b, schema=schema).collect()
    assert out.num_rows == 300


def test_udf_name_option_appears_in_the_note():
    with pytest.raises(CustomUdfError) as info:
        sabot.generate(rows=100).map_batches(failing_pricing_udf, name="pricing").collect()
    assert "map_batches(pricing)" in _format(info.value)


def test_udf_exception_in_async_for():
    async def main():
        async for _ in sabot.generate(rows=None, batch_size=50).map_batches(failing_pricing_udf):
            pass

    with pytest.raises(CustomUdfError) as info:
        asyncio.run(main())
    assert "failing_pricing_udf" in _format(info.value)


def test_udf_exception_in_a_write(tmp_path):
    target = tmp_path / "out.parquet"
    with pytest.raises(CustomUdfError) as info:
        sabot.generate(rows=1_000, batch_size=100).map_batches(failing_pricing_udf).write_parquet(target)
    assert "failing_pricing_udf" in _format(info.value)
    assert list(tmp_path.iterdir()) == []  # no file, not even a temporary one


def test_udf_output_schema_mismatch():
    def changes_type(batch):
        return pa.record_batch({"q": pa.array(["x"] * batch.num_rows, pa.string())})

    with pytest.raises(sabot.SabotError, match=r"map_batches\(.*changes_type\).*q: string.*q: int64"):
        (sabot.generate(rows=100)
         .map_batches(changes_type, schema=pa.schema([("q", pa.int64())]))
         .collect())


def test_udf_output_schema_changes_between_batches():
    def unstable(batch):
        if batch.num_rows == 0:
            return pa.record_batch({"q": pa.array([], pa.int64())})
        return pa.record_batch({"q": pa.array(["x"] * batch.num_rows)})

    with pytest.raises(sabot.SabotError, match="announced"):
        sabot.generate(rows=100).map_batches(unstable).collect()


def test_udf_returning_a_non_arrow_value():
    with pytest.raises(TypeError, match="RecordBatch or Table"):
        sabot.generate(rows=100).map_batches(lambda b: 42).collect()


def test_unknown_column_lists_the_columns(trips_csv):
    with pytest.raises(sabot.SabotError) as info:
        sabot.read_csv(trips_csv).select("trip_id", "nope").collect()
    msg = str(info.value)
    assert "nope" in msg and "trip_id" in msg and "distance_km" in msg


def test_unknown_column_in_filter_and_explain(trips_csv):
    stream = sabot.read_csv(trips_csv).filter(col("distnce_km") > 1)
    with pytest.raises(sabot.SabotError, match="distnce_km.*distance_km"):
        stream.collect()
    with pytest.raises(sabot.SabotError, match="distnce_km"):
        stream.explain()


def test_type_error_in_expression(trips_csv):
    with pytest.raises(sabot.SabotError, match="zone"):
        sabot.read_csv(trips_csv).filter(col("zone") + 1 > 2).collect()


def test_bad_literal_and_select_misuse():
    with pytest.raises(TypeError, match="lit"):
        sabot.lit(None)
    with pytest.raises(sabot.SabotError, match="not-a-number"):
        sabot.lit("not-a-number", "int64")
    with pytest.raises(TypeError, match="select"):
        sabot.generate(rows=1).select(col("id") + 1)
    with pytest.raises(TypeError, match="truth value"):
        bool(col("a") > 1)


def test_overflow_is_an_error_not_a_wrap():
    big = sabot.from_arrow(pa.table({"x": pa.array([2**62, 2**62], pa.int64())}))
    with pytest.raises(sabot.SabotError, match="overflow"):
        big.with_columns(y=col("x") * 4).collect()


def test_sabot_error_is_an_exception_class():
    assert issubclass(sabot.SabotError, Exception)
    assert sabot.SabotError is sabot._core.SabotError


def test_a_kernel_module_that_fails_to_load_is_not_kept_half_made(tmp_path):
    # A failed load leaves no module behind, so a later load runs the file again instead
    # of returning a module without its kernel ("has no attribute 'kernel'").
    import sys

    from sabot import _udf_numba
    path = tmp_path / "k_broken.py"
    path.write_text("raise ImportError('not yet')\n")
    name = "sabot_udf_kernel_test_broken"
    with pytest.raises(ImportError, match="not yet"):
        _udf_numba._load_module(path, name)
    assert name not in sys.modules
    path.write_text("def kernel():\n    return 7\n")
    assert _udf_numba._load_module(path, name).kernel() == 7
    del sys.modules[name]
