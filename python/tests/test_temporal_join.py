"""Temporal join from Python: a stream of orders against a versioned table of rates (a
changelog with inserts, updates and deletes), over random data cut into random batches
with bounded out-of-orderness on both sides. Streaming gives what batch mode gives and
what DuckDB gives with an ASOF JOIN over the table's versions; state stays small while
streaming; bad input gets a clear error."""
import random

import pyarrow as pa
import pytest

import sabot

from sabot_test_support import assert_same_rows, cut_randomly

BOUND_US = 3_000
OPS = ["insert", "update_before", "update_after", "delete"]


def random_rows(rng: random.Random, rows: int, first_id: int, step_us: int, used: set) -> dict:
    """Rows at distinct times (so the version valid at a time is unique, as DuckDB needs),
    at most BOUND_US out of order."""
    clock, keys, ids, times = 1_700_000_000_000_000, [], [], []
    for i in range(rows):
        clock += rng.randint(1, step_us)
        t = clock - rng.randrange(BOUND_US)
        while t in used:
            t += 1
        used.add(t)
        keys.append(rng.randrange(8))
        ids.append(first_id + i)
        times.append(t)
    return {"key": pa.array(keys, pa.int64()), "ts": pa.array(times, pa.timestamp("us")), "id": ids}


def orders_and_rates(rng: random.Random, orders: int, versions: int) -> tuple[pa.Table, pa.Table]:
    """Both cover about the same span of event time."""
    used: set = set()
    o = random_rows(rng, orders, 0, 4_000, used)
    r = random_rows(rng, versions, 100_000, 4_000 * orders // versions, used)
    rates = pa.table({"key": r["key"], "valid_from": r["ts"], "rate": r["id"],
                      "op": [rng.choice(OPS) for _ in range(versions)]})
    return cut_randomly(pa.table(o), rng, 200), cut_randomly(rates, rng, 200)


def duckdb_temporal(duck, orders: pa.Table, rates: pa.Table, how: str) -> pa.Table:
    duck.register("o", orders)
    duck.register("r", rates)
    rows = duck.sql(f"""
        WITH versions AS (SELECT * FROM r WHERE op <> 'update_before'),
             m AS (SELECT o.*, v.key AS key_right, v.valid_from, v.rate, v.op
                   FROM o ASOF LEFT JOIN versions v ON o.key = v.key AND o.ts >= v.valid_from)
        SELECT key, ts, id,
               CASE WHEN op <> 'delete' THEN key_right END AS key_right,
               CASE WHEN op <> 'delete' THEN valid_from END AS valid_from,
               CASE WHEN op <> 'delete' THEN rate END AS rate,
               CASE WHEN op <> 'delete' THEN op END AS op
        FROM m {"WHERE op IS NOT NULL AND op <> 'delete'" if how == "inner" else ""}""").arrow()
    return pa.table(rows)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("how", ["inner", "left"])
def test_streaming_temporal_join_equals_batch_and_duckdb(duck, seed, how):
    rng = random.Random(seed)
    orders, rates = orders_and_rates(rng, 1_500, 600)

    def join(event_time: bool) -> pa.Table:
        o = sabot.from_arrow(orders, **({"event_time": "ts", "max_out_of_orderness": BOUND_US} if event_time else {}))
        r = sabot.from_arrow(rates, **({"event_time": "valid_from", "max_out_of_orderness": BOUND_US}
                                      if event_time else {}))
        return o.temporal_join(r, on="key", time="ts", version_time="valid_from", op="op", how=how).collect()

    streaming = join(event_time=True)
    assert streaming.column_names == ["key", "ts", "id", "key_right", "valid_from", "rate", "op"]
    assert_same_rows(streaming, join(event_time=False), check_types=True)
    assert_same_rows(streaming, duckdb_temporal(duck, orders, rates, how))
    assert streaming.num_rows - streaming.column("rate").null_count > 300  # not a trivial answer


def test_streaming_temporal_join_holds_little_state():
    rng = random.Random(3)
    orders, rates = orders_and_rates(rng, 20_000, 20_000)
    o = sabot.from_arrow(orders, event_time="ts", max_out_of_orderness=BOUND_US)
    r = sabot.from_arrow(rates, event_time="valid_from", max_out_of_orderness=BOUND_US)
    report = o.temporal_join(r, on="key", time="ts", version_time="valid_from", op="op").explain_analyze()
    line = next(line for line in report.splitlines() if line.strip().startswith("TemporalJoin"))
    assert 0 < int(line.split()[-1]) < 2_000, report


def test_temporal_join_explains_itself():
    t = pa.table({"key": [1], "ts": pa.array([0], pa.timestamp("us"))})
    s = sabot.from_arrow(t).temporal_join(sabot.from_arrow(t), on="key", time="ts", version_time="ts", how="left")
    assert "TemporalJoin left on key = key, right versioned by right.ts as of left.ts" in s.explain()


def test_temporal_join_errors_are_clear():
    t = pa.table({"key": [1], "ts": pa.array([0], pa.timestamp("us")), "op": ["insert"]})
    a, b = sabot.from_arrow(t), sabot.from_arrow(t)
    with pytest.raises(sabot.SabotError, match="version time column 'key': expected a timestamp"):
        a.temporal_join(b, on="key", time="ts", version_time="key").collect()
    with pytest.raises(sabot.SabotError, match="when"):
        a.temporal_join(b, on="key", time="when", version_time="ts").collect()
    with pytest.raises(sabot.SabotError, match="op column 'kind' is not a right column"):
        a.temporal_join(b, on="key", time="ts", version_time="ts", op="kind").collect()
    other = sabot.from_arrow(pa.table({"key": [1.5], "ts": pa.array([0], pa.timestamp("us"))}))
    with pytest.raises(sabot.SabotError, match="join key 0: left key is int64, right key is float64"):
        a.temporal_join(other, on="key", time="ts", version_time="ts").collect()
    bad_op = sabot.from_arrow(pa.table({"key": [1], "ts": pa.array([0], pa.timestamp("us")), "op": ["upsert"]}))
    with pytest.raises(sabot.SabotError, match="op column 'op' holds 'upsert' at row 0"):
        a.temporal_join(bad_op, on="key", time="ts", version_time="ts", op="op").collect()
    with pytest.raises(TypeError, match="on= or left_on="):
        a.temporal_join(b, time="ts", version_time="ts")
