"""Window join from Python: over random data cut into random batches with bounded
out-of-orderness on both sides, streaming gives what batch mode and a DuckDB join on the
window start (floor(time / size) for tumbling windows) give; state stays small while
streaming; bad input gets a clear error."""
import datetime as dt
import random

import pyarrow as pa
import pytest

import sabot

from sabot_test_support import assert_same_rows, cut_randomly

BOUND_US = 3_000


def random_side(rng: random.Random, rows: int, first_id: int) -> pa.Table:
    clock, keys, ids, times = 1_700_000_000_000_000, [], [], []
    for i in range(rows):
        clock += rng.randint(1, 4_000)
        keys.append(None if rng.random() < 0.03 else rng.randrange(8))
        ids.append(first_id + i)
        times.append(clock - rng.randrange(BOUND_US))
    table = pa.table({"key": pa.array(keys, pa.int64()), "ts": pa.array(times, pa.timestamp("us")), "id": ids})
    return cut_randomly(table, rng, 200)


def duckdb_window_join(duck, left: pa.Table, right: pa.Table, size_us: int, slide_us: int) -> pa.Table:
    duck.register("l", left)
    duck.register("r", right)
    if size_us == slide_us:  # tumbling: the window is floor(time / size)
        rows = duck.sql(f"""
            SELECT make_timestamp(epoch_us(l.ts) // {size_us} * {size_us}) AS window_start,
                   make_timestamp(epoch_us(l.ts) // {size_us} * {size_us} + {size_us}) AS window_end,
                   l.key, l.ts, l.id, r.key AS key_right, r.ts AS ts_right, r.id AS id_right
            FROM l JOIN r ON l.key = r.key AND epoch_us(l.ts) // {size_us} = epoch_us(r.ts) // {size_us}""").arrow()
        return pa.table(rows)
    # Sliding: every window start of each row, then an equi-join on key and start.
    reach = (size_us + slide_us - 1) // slide_us * slide_us
    windows = f"""SELECT *, unnest(generate_series(epoch_us(ts) // {slide_us} * {slide_us} - {reach},
                                                   epoch_us(ts) // {slide_us} * {slide_us}, {slide_us})) AS ws"""
    rows = duck.sql(f"""
        WITH lw AS ({windows} FROM l), rw AS ({windows} FROM r)
        SELECT make_timestamp(lw.ws) AS window_start, make_timestamp(lw.ws + {size_us}) AS window_end,
               lw.key, lw.ts, lw.id, rw.key AS key_right, rw.ts AS ts_right, rw.id AS id_right
        FROM lw JOIN rw ON lw.key = rw.key AND lw.ws = rw.ws
        WHERE lw.ws + {size_us} > epoch_us(lw.ts) AND rw.ws + {size_us} > epoch_us(rw.ts)""").arrow()
    return pa.table(rows)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("size_us,slide_us", [(10_000, 10_000), (30_000, 10_000), (25_000, 6_000)])
def test_streaming_window_join_equals_batch_and_duckdb(duck, seed, size_us, slide_us):
    rng = random.Random(seed)
    left, right = random_side(rng, 1_500, 0), random_side(rng, 1_500, 100_000)

    def join(event_time: bool) -> pa.Table:
        kwargs = {"event_time": "ts", "max_out_of_orderness": BOUND_US} if event_time else {}
        a, b = sabot.from_arrow(left, **kwargs), sabot.from_arrow(right, **kwargs)
        slide = None if slide_us == size_us else dt.timedelta(microseconds=slide_us)
        return a.window_join(b, on="key", left_time="ts", size=dt.timedelta(microseconds=size_us),
                             slide=slide).collect()

    streaming = join(event_time=True)
    assert streaming.column_names == ["window_start", "window_end", "key", "ts", "id", "key_right", "ts_right",
                                      "id_right"]
    assert_same_rows(streaming, join(event_time=False), check_types=True)
    assert_same_rows(streaming, duckdb_window_join(duck, left, right, size_us, slide_us))
    assert streaming.num_rows > 200


def test_streaming_window_join_holds_little_state():
    rng = random.Random(3)
    left, right = random_side(rng, 20_000, 0), random_side(rng, 20_000, 100_000)
    a = sabot.from_arrow(left, event_time="ts", max_out_of_orderness=BOUND_US)
    b = sabot.from_arrow(right, event_time="ts", max_out_of_orderness=BOUND_US)
    report = a.window_join(b, on="key", left_time="ts", size=10_000).explain_analyze()
    line = next(line for line in report.splitlines() if line.strip().startswith("WindowJoin"))
    assert 0 < int(line.split()[-1]) < 2_000, report


def test_window_join_explains_itself():
    t = pa.table({"key": [1], "ts": pa.array([0], pa.timestamp("us"))})
    s = sabot.from_arrow(t).window_join(sabot.from_arrow(t), on="key", left_time="ts",
                                        size=dt.timedelta(seconds=1), slide=dt.timedelta(milliseconds=250))
    assert "WindowJoin sliding 1000000us every 250000us on key = key, windows of left.ts and right.ts" in s.explain()


def test_window_join_errors_are_clear():
    t = pa.table({"key": [1], "ts": pa.array([0], pa.timestamp("us"))})
    a, b = sabot.from_arrow(t), sabot.from_arrow(t)
    with pytest.raises(sabot.SabotError, match="right time column 'key': expected a timestamp"):
        a.window_join(b, on="key", left_time="ts", right_time="key", size=10).collect()
    with pytest.raises(sabot.SabotError, match="when"):
        a.window_join(b, on="key", left_time="when", size=10).collect()
    with pytest.raises(sabot.SabotError, match="nope"):
        a.window_join(b, left_on="nope", right_on="key", left_time="ts", size=10).collect()
    other = sabot.from_arrow(pa.table({"key": ["x"], "ts": pa.array([0], pa.timestamp("us"))}))
    with pytest.raises(sabot.SabotError, match="join key 0: left key is int64, right key is string"):
        a.window_join(other, on="key", left_time="ts", size=10).collect()
    with pytest.raises(sabot.SabotError, match="window slide .* must not exceed the window size"):
        a.window_join(b, on="key", left_time="ts", size=10, slide=20).collect()
    with pytest.raises(TypeError, match="on= or left_on="):
        a.window_join(b, left_time="ts", size=10)
