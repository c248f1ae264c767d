"""Keyed process functions from Python: per-key values and event-time timers give what
the built-in window aggregate gives, and errors reach the caller."""
import datetime as dt

import pyarrow as pa
import pytest

import sabot
from sabot import agg

from sabot_test_support import assert_same_rows

SIZE = 1_000_000
OUT = pa.schema([("key", pa.int64()), ("window_end", pa.timestamp("us")), ("n", pa.int64())])


class TumblingCount:
    """Counts each key's rows per one-second window; a timer at the window's end emits it."""

    def process(self, rows, ctx):
        for t in rows.column("ts").cast(pa.int64()).to_pylist():
            end = t // SIZE * SIZE + SIZE
            if end <= ctx.watermark:
                continue  # late
            name = f"n@{end}"
            ctx.set_value(name, ctx.value(name, 0) + 1)
            ctx.register_timer(end)

    def on_timer(self, time_us, ctx):
        name = f"n@{time_us}"
        ctx.emit(pa.record_batch([pa.array([ctx.key["key"]], pa.int64()), pa.array([time_us], pa.timestamp("us")),
                                  pa.array([ctx.value(name)], pa.int64())], schema=OUT))
        ctx.clear_value(name)


def test_timers_and_values_give_the_window_aggregate_result():
    stream = sabot.generate(rows=20_000, batch_size=1_000, num_keys=5, max_out_of_orderness_us=30_000)
    got = stream.process(TumblingCount(), by="key", schema=OUT).collect()
    want = stream.window("ts", dt.timedelta(seconds=1), by="key").agg(n=agg.count()).collect()
    assert got.num_rows > 0
    assert_same_rows(got, want.select(["key", "window_end", "n"]))
    assert "KeyedProcess TumblingCount by key" in stream.process(TumblingCount(), by="key", schema=OUT).explain()


def test_an_exception_in_the_function_reaches_the_caller():
    class Failing:
        def process(self, rows, ctx):
            raise KeyError("no such account")

    with pytest.raises(KeyError, match="no such account"):
        sabot.generate(rows=10).process(Failing(), by="key", schema=OUT).collect()
