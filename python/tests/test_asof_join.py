"""As-of join from Python: over random data cut into random batches with bounded
out-of-orderness on both sides, streaming gives what batch mode and DuckDB's ASOF JOIN
give; state stays small while streaming; bad input gets a clear error."""
import datetime as dt
import random

import pyarrow as pa
import pytest

import sabot

from sabot_test_support import assert_same_rows, cut_randomly

BOUND_US = 3_000


def random_side(rng: random.Random, rows: int, first_id: int, null_keys: bool = False) -> pa.Table:
    """Rows at distinct times (so the latest match is unique, as DuckDB needs), at most
    BOUND_US out of order."""
    clock, keys, ids, times, used = 1_700_000_000_000_000, [], [], [], set()
    for i in range(rows):
        clock += rng.randint(1, 4_000)
        t = clock - rng.randrange(BOUND_US)
        while t in used:
            t += 1
        used.add(t)
        keys.append(None if null_keys and rng.random() < 0.05 else rng.randrange(8))
        ids.append(first_id + i)
        times.append(t)
    table = pa.table({"key": pa.array(keys, pa.int64()), "ts": pa.array(times, pa.timestamp("us")), "id": ids})
    return cut_randomly(table, rng, 200)


def duckdb_asof(duck, left: pa.Table, right: pa.Table, how: str, tolerance_us: int | None) -> pa.Table:
    duck.register("l", left)
    duck.register("r", right)
    within = "TRUE" if tolerance_us is None else f"epoch_us(r.ts) >= epoch_us(l.ts) - {tolerance_us}"
    rows = duck.sql(f"""
        WITH m AS (SELECT l.key, l.ts, l.id, r.key AS rk, r.ts AS rts, r.id AS rid, {within} AS ok
                   FROM l ASOF LEFT JOIN r ON l.key = r.key AND l.ts >= r.ts)
        SELECT key, ts, id,
               CASE WHEN ok THEN rk END AS key_right, CASE WHEN ok THEN rts END AS ts_right,
               CASE WHEN ok THEN rid END AS id_right
        FROM m {"WHERE rid IS NOT NULL AND ok" if how == "inner" else ""}""").arrow()
    return pa.table(rows)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("how,tolerance_us", [("inner", None), ("left", None), ("left", 10_000), ("inner", 20_000)])
def test_streaming_asof_join_equals_batch_and_duckdb(duck, seed, how, tolerance_us):
    rng = random.Random(seed)
    left, right = random_side(rng, 1_500, 0, null_keys=True), random_side(rng, 1_500, 100_000)

    def join(event_time: bool) -> pa.Table:
        kwargs = {"event_time": "ts", "max_out_of_orderness": BOUND_US} if event_time else {}
        a, b = sabot.from_arrow(left, **kwargs), sabot.from_arrow(right, **kwargs)
        tolerance = None if tolerance_us is None else dt.timedelta(microseconds=tolerance_us)
        return a.asof_join(b, on="key", left_time="ts", tolerance=tolerance, how=how).collect()

    streaming = join(event_time=True)
    assert streaming.column_names == ["key", "ts", "id", "key_right", "ts_right", "id_right"]
    assert_same_rows(streaming, join(event_time=False), check_types=True)
    assert_same_rows(streaming, duckdb_asof(duck, left, right, how, tolerance_us))
    assert streaming.num_rows - streaming.column("id_right").null_count > 300  # not a trivial answer


def _peak_state(report: str, step: str) -> int:
    line = next(line for line in report.splitlines() if line.strip().startswith(step))
    return int(line.split()[-1])


def test_streaming_asof_join_holds_little_state():
    rng = random.Random(3)
    left, right = random_side(rng, 20_000, 0), random_side(rng, 20_000, 100_000)
    a = sabot.from_arrow(left, event_time="ts", max_out_of_orderness=BOUND_US)
    b = sabot.from_arrow(right, event_time="ts", max_out_of_orderness=BOUND_US)
    report = a.asof_join(b, on="key", left_time="ts").explain_analyze()
    assert 0 < _peak_state(report, "AsofJoin") < 2_000, report


def test_asof_join_explains_itself():
    t = pa.table({"key": [1], "ts": pa.array([0], pa.timestamp("us"))})
    s = sabot.from_arrow(t).asof_join(sabot.from_arrow(t), on="key", left_time="ts", how="left",
                                      tolerance=dt.timedelta(seconds=1))
    assert "AsofJoin left on key = key, latest right.ts <= left.ts within 1000000us" in s.explain()


def test_asof_join_errors_are_clear():
    t = pa.table({"key": [1], "ts": pa.array([0], pa.timestamp("us"))})
    a, b = sabot.from_arrow(t), sabot.from_arrow(t)
    with pytest.raises(sabot.SabotError, match="left time column 'key': expected a timestamp"):
        a.asof_join(b, on="key", left_time="key", right_time="ts").collect()
    with pytest.raises(sabot.SabotError, match="when"):
        a.asof_join(b, on="key", left_time="when").collect()
    with pytest.raises(sabot.SabotError, match="nope"):
        a.asof_join(b, left_on="key", right_on="nope", left_time="ts").collect()
    other = sabot.from_arrow(pa.table({"key": pa.array([1], pa.int32()), "ts": pa.array([0], pa.timestamp("us"))}))
    with pytest.raises(sabot.SabotError, match="as-of join key 0: left key is int64, right key is int32"):
        a.asof_join(other, on="key", left_time="ts").collect()
    with pytest.raises(sabot.SabotError, match="type full is not supported"):
        a.asof_join(b, on="key", left_time="ts", how="full").collect()
    with pytest.raises(sabot.SabotError, match="tolerance -1 us is negative"):
        a.asof_join(b, on="key", left_time="ts", tolerance=-1).collect()
    with pytest.raises(TypeError, match="on= or left_on="):
        a.asof_join(b, left_time="ts")
