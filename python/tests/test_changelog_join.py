"""Streaming joins as a changelog: applied in order, the changelog of a join over randomly
cut batches is DuckDB's batch join of the same rows; an endless input makes any join a
changelog join; a state TTL only ever forgets matches; bad input names the problem."""
import datetime as dt
import random

import pyarrow as pa
import pytest

import sabot

from sabot_test_support import assert_same_rows, cut_randomly


def random_side(rng: random.Random, rows: int, keys: int, value: str) -> pa.Table:
    return pa.table({
        "k": pa.array([rng.randrange(keys) if rng.random() > 0.1 else None for _ in range(rows)], pa.int64()),
        "s": pa.array([rng.choice(["a", "b"]) for _ in range(rows)]),
        value: pa.array([rng.randint(-50, 50) if rng.random() > 0.1 else None for _ in range(rows)], pa.int64()),
    })


@pytest.mark.parametrize("how", ["inner", "left", "right", "full", "semi", "anti"])
@pytest.mark.parametrize("seed", range(4))
def test_materialized_changelog_equals_duckdb_join(how, seed, duck):
    rng = random.Random(seed)
    keys = rng.randint(1, 30)
    left = cut_randomly(random_side(rng, rng.randint(1, 600), keys, "v"), rng, rng.choice([1, 9, 100, 1_000]))
    right = cut_randomly(random_side(rng, rng.randint(0, 600), keys, "w"), rng, rng.choice([1, 9, 100, 1_000]))
    joined = sabot.from_arrow(left).join(sabot.from_arrow(right), on=["k", "s"], how=how, changelog=True)
    log = joined.collect()
    left_only = how in ("semi", "anti")
    assert log.column_names == ["op", "k", "s", "v"] + ([] if left_only else ["k_right", "s_right", "w"])
    assert set(log["op"].to_pylist()) <= ({"insert"} if how in ("inner", "semi") else {"insert", "delete"})
    got = sabot.materialize(log)
    duck.register("l", left)
    duck.register("r", right)
    columns = "l.k, l.s, l.v" + ("" if left_only else ", r.k AS k_right, r.s AS s_right, r.w")
    want = duck.sql(f"""SELECT {columns} FROM l {how.upper()} JOIN r ON l.k = r.k AND l.s = r.s""").arrow()
    assert_same_rows(got, pa.table(want).cast(got.schema))


def test_an_endless_input_makes_a_changelog_join():
    endless = sabot.generate(rows=None, batch_size=100, num_keys=5)
    dims = sabot.from_arrow(pa.table({"key": pa.array(range(5), pa.int64()), "name": list("abcde")}))
    out = dims.join(endless, on="key").limit(20).collect()
    assert out.column_names[:3] == ["op", "key", "name"]
    assert out.num_rows == 20 and set(out["op"].to_pylist()) == {"insert"}
    assert "as changelog" in dims.join(endless, on="key").explain()


def test_state_ttl_only_forgets_matches(duck):
    rng = random.Random(7)
    base = 1_700_000_000_000_000
    def side(value):
        times = sorted(base + rng.randrange(60_000_000) for _ in range(300))
        table = pa.table({"k": pa.array([rng.randrange(10) for _ in times], pa.int64()),
                          "ts": pa.array(times, pa.timestamp("us")), value: list(range(len(times)))})
        return cut_randomly(table, rng, 20)
    left, right = side("v"), side("w")
    def joined(ttl):
        stream = sabot.from_arrow(left, event_time="ts").join(sabot.from_arrow(right, event_time="ts"), on="k",
                                                               state_ttl=ttl, time_column="ts")
        return sabot.materialize(stream.collect())
    duck.register("l", left)
    duck.register("r", right)
    everything = pa.table(duck.sql("""SELECT l.k, l.ts, l.v, r.k AS k_right, r.ts AS ts_right, r.w
                                      FROM l JOIN r ON l.k = r.k""").arrow())
    kept = joined(dt.timedelta(hours=1))
    assert_same_rows(kept, everything.cast(kept.schema))
    forgetting = joined(dt.timedelta(seconds=1))
    assert forgetting.num_rows < everything.num_rows
    pairs = set(zip(everything["v"].to_pylist(), everything["w"].to_pylist()))
    assert set(zip(forgetting["v"].to_pylist(), forgetting["w"].to_pylist())) <= pairs


def test_changelog_join_errors_name_the_problem():
    left = sabot.from_arrow(pa.table({"k": [1], "ts": pa.array([0], pa.timestamp("us"))}))
    right = sabot.from_arrow(pa.table({"k": ["1"], "ts": pa.array([0], pa.timestamp("us"))}))
    with pytest.raises(sabot.SabotError, match="left k is int64, right k is string"):
        left.join(right, on="k", changelog=True).collect()
    with pytest.raises(ValueError, match="state_ttl must not be negative"):
        left.join(left, on="k", state_ttl=-1, time_column="ts")
    with pytest.raises(TypeError, match="time_column"):
        left.join(left, on="k", state_ttl=dt.timedelta(seconds=1))
    with pytest.raises(sabot.SabotError, match="where="):
        left.join(left, on="k", where=sabot.col("ts") > sabot.col("ts_right"), changelog=True).collect()
