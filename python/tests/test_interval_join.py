"""Interval join from Python: over random data cut into random batches with bounded
out-of-orderness on both sides, streaming gives what batch mode and a DuckDB join with
BETWEEN give."""
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
        keys.append(rng.randrange(8))
        ids.append(first_id + i)
        times.append(clock - rng.randrange(BOUND_US))
    table = pa.table({"key": keys, "ts": pa.array(times, pa.timestamp("us")), "id": ids})
    return cut_randomly(table, rng, 200)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("lower_us,upper_us", [(-5_000, 5_000), (0, 20_000), (-30_000, -10_000)])
def test_streaming_interval_join_equals_batch_and_duckdb(duck, seed, lower_us, upper_us):
    rng = random.Random(seed)
    left, right = random_side(rng, 1_500, 0), random_side(rng, 1_500, 100_000)

    def join(event_time: bool) -> pa.Table:
        kwargs = {"event_time": "ts", "max_out_of_orderness": BOUND_US} if event_time else {}
        a, b = sabot.from_arrow(left, **kwargs), sabot.from_arrow(right, **kwargs)
        return a.interval_join(b, on="key", left_time="ts", lower=dt.timedelta(microseconds=lower_us),
                               upper=upper_us).collect()

    streaming = join(event_time=True)
    assert streaming.column_names == ["key", "ts", "id", "key_right", "ts_right", "id_right"]
    assert_same_rows(streaming, join(event_time=False), check_types=True)

    duck.register("l", left)
    duck.register("r", right)
    want = duck.sql(f"""
        SELECT l.key, l.ts, l.id, r.key AS key_right, r.ts AS ts_right, r.id AS id_right
        FROM l JOIN r ON l.key = r.key
         AND epoch_us(r.ts) BETWEEN epoch_us(l.ts) + {lower_us} AND epoch_us(l.ts) + {upper_us}""").arrow()
    assert_same_rows(streaming, pa.table(want))
    assert streaming.num_rows > 50


def test_interval_join_errors_are_clear():
    t = pa.table({"key": [1], "ts": pa.array([0], pa.timestamp("us"))})
    a, b = sabot.from_arrow(t), sabot.from_arrow(t)
    with pytest.raises(sabot.SabotError, match="lower bound .* is above the upper bound"):
        a.interval_join(b, on="key", left_time="ts", lower=10, upper=0).collect()
    with pytest.raises(sabot.SabotError, match="left time column 'key': expected a timestamp"):
        a.interval_join(b, on="key", left_time="key", right_time="ts", lower=0, upper=1).collect()
    with pytest.raises(TypeError, match="on= or left_on="):
        a.interval_join(b, left_time="ts", lower=0, upper=1)
