"""Session windows from Python: over random data cut into random batches with bounded
out-of-orderness, streaming gives what batch mode and DuckDB's gaps-and-islands give;
late rows are dropped or, within allowed lateness, update their session."""
import datetime as dt
import random

import pyarrow as pa
import pytest

import sabot
from sabot import agg

from sabot_test_support import assert_same_rows, cut_randomly

BOUND_US = 2_000


def random_events(seed: int, rows: int = 3_000) -> pa.Table:
    """Keys 0..4, event times rising about 5 ms a row and moved back by less than
    BOUND_US, cut into batches of 1 to 300 rows."""
    rng = random.Random(seed)
    clock, ids, keys, values, times = 1_700_000_000_000_000, [], [], [], []
    for i in range(rows):
        clock += rng.randint(1, 10_000)
        ids.append(i)
        keys.append(rng.randrange(5))
        values.append(rng.randint(-20, 100))
        times.append(clock - rng.randrange(BOUND_US))
    table = pa.table({"id": ids, "key": keys, "value": values,
                      "ts": pa.array(times, pa.timestamp("us"))})
    return cut_randomly(table, rng, 300)


def sessions(stream: sabot.Stream, gap_us: int) -> pa.Table:
    return stream.session_window("ts", dt.timedelta(microseconds=gap_us), by="key").agg(
        n=agg.count(), total=agg.sum("value"), lo=agg.min("id"), hi=agg.max("id")).collect()


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("gap_us", [1_500, 8_000, 40_000])
def test_streaming_sessions_equal_batch_and_duckdb(duck, seed, gap_us):
    table = random_events(seed)
    streaming = sessions(sabot.from_arrow(table, event_time="ts", max_out_of_orderness=BOUND_US), gap_us)
    batch = sessions(sabot.from_arrow(table), gap_us)
    assert_same_rows(streaming, batch, check_types=True)

    duck.register("t", table)
    want = duck.sql(f"""
        WITH marked AS (
            SELECT *, CASE WHEN epoch_us(ts) - lag(epoch_us(ts)) OVER w < {gap_us} THEN 0 ELSE 1 END AS starts
            FROM t WINDOW w AS (PARTITION BY key ORDER BY ts, id)),
        numbered AS (
            SELECT *, sum(starts) OVER (PARTITION BY key ORDER BY ts, id ROWS UNBOUNDED PRECEDING) AS session
            FROM marked)
        SELECT min(ts) AS window_start, make_timestamp(max(epoch_us(ts)) + {gap_us}) AS window_end, key,
               count(*) AS n, sum(value) AS total, min(id) AS lo, max(id) AS hi
        FROM numbered GROUP BY key, session""").arrow()
    assert_same_rows(streaming, pa.table(want))
    assert streaming.num_rows > 5  # the gaps split the data into many sessions


def late_input() -> pa.Table:
    """Key 1: a row at 0 ms, one at 100 ms (its watermark closes [0, 10 ms)), then one at
    5 ms that would have extended the first session."""
    batches = [pa.record_batch({"key": [1], "ts": pa.array([t], pa.timestamp("ms"))}) for t in (0, 100, 5)]
    return pa.Table.from_batches(batches)


def test_late_row_is_dropped_without_allowed_lateness():
    stream = sabot.from_arrow(late_input(), event_time="ts")
    got = stream.session_window("ts", dt.timedelta(milliseconds=10), by="key").agg(n=agg.count()).collect()
    ms = dt.timedelta(milliseconds=1)
    epoch = dt.datetime(1970, 1, 1)
    assert sorted((r["window_start"] - epoch, r["window_end"] - epoch, r["n"]) for r in got.to_pylist()) == [
        (0 * ms, 10 * ms, 1), (100 * ms, 110 * ms, 1)]


def test_late_row_within_allowed_lateness_updates_its_session():
    stream = sabot.from_arrow(late_input(), event_time="ts")
    got = stream.session_window("ts", dt.timedelta(milliseconds=10), by="key",
                                allowed_lateness=dt.timedelta(milliseconds=200)).agg(n=agg.count()).collect()
    ms = dt.timedelta(milliseconds=1)
    epoch = dt.datetime(1970, 1, 1)
    # The first result, then its update with the new end, then the second session.
    assert [(r["window_start"] - epoch, r["window_end"] - epoch, r["n"]) for r in got.to_pylist()] == [
        (0 * ms, 10 * ms, 1), (0 * ms, 15 * ms, 2), (100 * ms, 110 * ms, 1)]


def test_session_window_errors_are_clear():
    table = random_events(1, rows=10)
    with pytest.raises(sabot.SabotError, match="gap must be positive"):
        sabot.from_arrow(table).session_window("ts", 0).agg(n=agg.count()).collect()
    with pytest.raises(sabot.SabotError, match="expected a timestamp"):
        sabot.from_arrow(table).session_window("value", 10).agg(n=agg.count()).collect()
    with pytest.raises(sabot.SabotError, match="event time column 'nope' does not exist"):
        sabot.from_arrow(table, event_time="nope").collect()
    with pytest.raises(TypeError, match="duration"):
        sabot.from_arrow(table).session_window("ts", "10s")
