"""Keyed windows on several threads (the keyed exchange: each key's window state has one
owner thread): 1, 2 and 8 threads give DuckDB's answer, over a generator and over an
in-memory table."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import pytest

import sabot
from sabot import agg
from sabot.expr import col, lit

from sabot_test_support import assert_same_rows

SIZE_US = 1_000_000


@pytest.fixture(autouse=True)
def _restore_threads():
    yield
    sabot.set_threads(None)


def _tumbling_sql(size: int) -> str:
    return f"""
        SELECT make_timestamp(epoch_us(ts) // {size} * {size}) AS window_start,
               make_timestamp(epoch_us(ts) // {size} * {size} + {size}) AS window_end,
               key, count(*) AS n, sum(id) AS id_sum, max(value) AS top
        FROM t GROUP BY ALL"""


@pytest.mark.parametrize("threads", [1, 2, 8])
def test_keyed_window_over_a_generator_matches_duckdb(duck, threads):
    stream = sabot.generate(rows=300_000, batch_size=2_048, num_keys=40, time_step_us=1_000,
                            max_out_of_orderness_us=20_000)
    sabot.set_threads(1)
    duck.register("t", stream.collect())
    want = pa.table(duck.sql(_tumbling_sql(SIZE_US)).arrow())
    assert want.num_rows >= 40 * 299

    sabot.set_threads(threads)
    got = stream.window("ts", dt.timedelta(seconds=1), by="key").agg(
        n=agg.count(), id_sum=agg.sum("id"), top=agg.max("value")).collect()
    assert_same_rows(got, want)


@pytest.mark.parametrize("threads", [1, 2, 8])
def test_keyed_window_over_an_in_memory_table_matches_duckdb(duck, threads):
    # 300K rows: five 64K-row splits of the in-memory source, read by several producers.
    rows = 300_000
    rng = np.random.default_rng(5)
    start = 1_700_000_000_000_000
    ts = start + np.arange(rows, dtype=np.int64) * 1_000 - rng.integers(0, 5_000, rows)
    table = pa.table({
        "id": np.arange(rows, dtype=np.int64),
        "key": np.array([f"k{i}" for i in range(37)])[rng.integers(0, 37, rows)],
        "value": rng.random(rows),
        "ts": pa.array(ts, pa.timestamp("us")),
    })
    duck.register("t", table)
    want = pa.table(duck.sql(_tumbling_sql(2 * SIZE_US)).arrow())

    sabot.set_threads(threads)
    stream = sabot.from_arrow(table, event_time="ts", max_out_of_orderness=dt.timedelta(milliseconds=5))
    got = stream.window("ts", dt.timedelta(seconds=2), by="key").agg(
        n=agg.count(), id_sum=agg.sum("id"), top=agg.max("value")).collect()
    assert_same_rows(got, want)


@pytest.mark.parametrize("threads", [1, 2, 8])
def test_late_rows_of_a_keyed_window_on_every_thread_count(duck, threads):
    # Past the first 300 batches, now and then a row an hour old: late on one thread. On
    # several, a row is late once the smallest watermark over the producers passed it (a
    # producer not started yet may let one through), but no row on time on one thread is
    # ever late: no window closes early.
    stream = sabot.generate(rows=400_000, batch_size=1_000, num_keys=20, max_out_of_orderness_us=3_000)
    hour_ago = dt.datetime(2023, 11, 14, 21, 13, 20)  # the generator's start, less an hour
    stale = (col("value") < 0.002) & (col("id") >= 300_000)
    shifted = stream.with_columns(t=stale.if_else(lit(hour_ago), col("ts")))
    windowed = shifted.window("t", dt.timedelta(seconds=1), by="key", allowed_lateness=SIZE_US).agg(n=agg.count())

    sabot.set_threads(1)
    duck.register("t", stream.collect())
    want = pa.table(duck.sql("SELECT id FROM t WHERE value < 0.002 AND id >= 300000").arrow())
    assert want.num_rows > 100

    sabot.set_threads(threads)
    late = windowed.late_rows().collect()
    if threads == 1:
        assert_same_rows(late.select(["id"]), want)
    else:
        assert set(late["id"].to_pylist()) <= set(want["id"].to_pylist())
    # Every row on time is in a window from the generator's start on, on every thread count.
    counts = windowed.collect()
    since = pa.scalar(hour_ago + dt.timedelta(minutes=59), pa.timestamp("us"))
    recent = counts.filter(pa.compute.greater_equal(counts["window_start"], since))
    assert sum(recent["n"].to_pylist()) == 400_000 - want.num_rows
