"""Unbounded aggregation as a changelog: applied in order, the changelog of a group_by
over randomly cut batches is the batch group_by's result, which is DuckDB's; a state TTL
deletes keys that went quiet."""
import datetime as dt
import random

import pyarrow as pa
import pytest

import sabot
from sabot import agg

from sabot_test_support import assert_same_rows, cut_randomly

AGGS = dict(n=agg.count(), total=agg.sum("v"), low=agg.min("v"), high=agg.max("w"), avg=agg.mean("w"))


def random_table(rng: random.Random, rows: int) -> pa.Table:
    keys = rng.randint(1, 40)
    return pa.table({
        "k": pa.array([rng.randrange(keys) for _ in range(rows)], pa.int64()),
        "s": pa.array([rng.choice(["a", "b", None]) for _ in range(rows)]),
        "v": pa.array([rng.randint(-50, 50) if rng.random() > 0.1 else None for _ in range(rows)], pa.int64()),
        "w": pa.array([rng.random() for _ in range(rows)]),
    })


@pytest.mark.parametrize("seed", range(6))
def test_materialized_changelog_equals_batch_group_by_and_duckdb(seed, duck):
    rng = random.Random(seed)
    table = cut_randomly(random_table(rng, rng.randint(1, 3_000)), rng, max_rows=rng.choice([1, 7, 200, 5_000]))
    stream = sabot.from_arrow(table)
    changelog = stream.group_by("k", "s").agg(changelog=True, **AGGS)
    log = changelog.collect()
    assert set(log["op"].to_pylist()) <= {"insert", "update_before", "update_after"}
    got = sabot.materialize(log)
    batch = stream.group_by("k", "s").agg(**AGGS).collect()
    assert_same_rows(got, batch)
    duck.register("t", table)
    want = duck.sql("""SELECT k, s, count(*) AS n, sum(v) AS total, min(v) AS low, max(w) AS high, avg(w) AS avg
                       FROM t GROUP BY k, s""").arrow()
    assert_same_rows(got, pa.table(want).cast(got.schema))


def test_changelog_emits_only_what_changed():
    table = pa.Table.from_batches([pa.record_batch({"k": [1, 2], "v": [5, 5]}),
                                   pa.record_batch({"k": [1, 2], "v": [0, 1]})])
    log = sabot.from_arrow(table).group_by("k").agg(top=agg.max("v"), changelog=True).collect()
    # The second batch changes nothing for k=1 (max stays 5) and nothing for k=2 either.
    assert log["op"].to_pylist() == ["insert", "insert"]
    table = pa.Table.from_batches([pa.record_batch({"k": [1], "v": [5]}), pa.record_batch({"k": [1], "v": [7]})])
    log = sabot.from_arrow(table).group_by("k").agg(top=agg.max("v"), changelog=True).collect()
    assert log.to_pylist() == [{"op": "insert", "k": 1, "top": 5}, {"op": "update_before", "k": 1, "top": 5},
                               {"op": "update_after", "k": 1, "top": 7}]


def test_unbounded_group_by_is_a_changelog():
    endless = sabot.generate(rows=None, batch_size=1_000, num_keys=5)
    assert endless.group_by("key").agg(n=agg.count()).limit(3).collect().column_names == ["op", "key", "n"]


def test_state_ttl_deletes_quiet_keys(duck):
    # Key k's rows lie in [10k, 10k + 5) seconds, in time order, cut into random batches.
    rng = random.Random(3)
    base = 1_700_000_000_000_000
    times = sorted((k, base + k * 10_000_000 + rng.randrange(5_000_000)) for k in range(10) for _ in range(50))
    times.sort(key=lambda kt: kt[1])
    table = cut_randomly(pa.table({"k": pa.array([k for k, _ in times], pa.int64()),
                                   "ts": pa.array([t for _, t in times], pa.timestamp("us"))}), rng, 40)
    ttl = dt.timedelta(seconds=20)
    log = (sabot.from_arrow(table, event_time="ts")
           .group_by("k").agg(n=agg.count(), state_ttl=ttl, time_column="ts").collect())
    assert "delete" in log["op"].to_pylist()
    got = sabot.materialize(log)
    duck.register("t", table)
    # No key comes back after going quiet, so the keys left are those whose newest row
    # is within the TTL of the last watermark (the newest row of all).
    want = duck.sql("""SELECT k, count(*) AS n FROM t GROUP BY k
                       HAVING epoch_us(max(ts)) + 20000000 > (SELECT epoch_us(max(ts)) FROM t)""").arrow()
    assert_same_rows(got, pa.table(want))


def test_changelog_errors_name_the_problem():
    stream = sabot.generate(rows=10)
    with pytest.raises(TypeError, match="time_column"):
        stream.group_by("key").agg(n=agg.count(), state_ttl=dt.timedelta(seconds=1))
    with pytest.raises(sabot.SabotError, match="keys"):
        stream.agg(n=agg.count(), state_ttl=dt.timedelta(seconds=1), time_column="ts").collect()


def test_materialize_refuses_a_changelog_that_removes_what_it_never_added():
    log = pa.table({"op": ["insert", "delete", "delete"], "k": [1, 1, 1]})
    with pytest.raises(ValueError, match="removes a row"):
        sabot.materialize(log)
    with pytest.raises(ValueError, match="unknown changelog op"):
        sabot.materialize(pa.table({"op": ["upsert"], "k": [1]}))
    assert sabot.materialize(log.slice(0, 2)).num_rows == 0
