"""Keyed process functions from Python: per-key values and event-time timers give what
the built-in window aggregate gives, list and map state give what DuckDB gives, state TTL
forgets silent keys, processing-time timers fire, and errors reach the caller."""
import datetime as dt
import random

import pyarrow as pa
import pytest

import sabot
from sabot import agg

from sabot_test_support import assert_same_rows, cut_randomly

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


def _random_events(seed: int, rows: int = 4_000) -> pa.Table:
    rng = random.Random(seed)
    start = 1_700_000_000_000_000
    return pa.table({
        "seq": pa.array(range(rows), pa.int64()),
        "key": pa.array([rng.randrange(25) for _ in range(rows)], pa.int64()),
        "kind": pa.array([rng.choice(["view", "click", "buy"]) for _ in range(rows)]),
        "v": pa.array([rng.randrange(-50, 1000) for _ in range(rows)], pa.int64()),
        "ts": pa.array([start + i * 1_000 for i in range(rows)], pa.timestamp("us")),
    })


ROLLING = pa.schema([("seq", pa.int64()), ("key", pa.int64()), ("last3", pa.int64())])
KINDS = pa.schema([("key", pa.int64()), ("kind", pa.string()), ("n", pa.int64())])


class LastThree:
    """Per row, the sum of that row's value and its key's two values before: the last three
    values live in list state, counts per kind in map state (emitted at the end)."""

    def process(self, rows, ctx):
        last = ctx.list("last")
        out = []
        for seq, v, kind in zip(rows.column("seq").to_pylist(), rows.column("v").to_pylist(),
                                rows.column("kind").to_pylist()):
            last = (last + [v])[-3:]
            out.append(sum(last))
            ctx.map_put("kinds", kind, ctx.map_get("kinds", kind, 0) + 1)
        ctx.set_list("last", last)
        ctx.emit(pa.record_batch([rows.column("seq"), rows.column("key"), pa.array(out, pa.int64())], schema=ROLLING))
        ctx.register_timer(2**62)  # fires at the end of input

    def on_timer(self, time_us, ctx):
        items = ctx.map_items("kinds")
        self.kinds.extend((ctx.key["key"], kind, n) for kind, n in items)


@pytest.mark.parametrize("seed", [1, 2])
def test_list_state_gives_duckdbs_rolling_sum_and_map_state_its_counts(seed, duck):
    table = _random_events(seed)
    duck.register("events", table)
    fn = LastThree()
    fn.kinds = []
    got = (sabot.from_arrow(cut_randomly(table, random.Random(seed), 97))
           .process(fn, by="key", schema=ROLLING).collect())
    want = pa.table(duck.sql("SELECT seq, key, sum(v) OVER (PARTITION BY key ORDER BY seq "
                             "ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)::BIGINT AS last3 FROM events").arrow())
    assert got.num_rows == table.num_rows
    assert_same_rows(got, want)
    want_kinds = duck.sql("SELECT key, kind, count(*) AS n FROM events GROUP BY key, kind").fetchall()
    assert sorted(fn.kinds) == sorted(want_kinds)


def test_map_keys_are_equal_as_in_a_dict():
    seen = []

    class Keys:
        def process(self, rows, ctx):
            ctx.map_put("m", 1, "int")
            ctx.map_put("m", 1.0, "float")  # the same key as 1
            ctx.map_put("m", True, "bool")  # and again
            ctx.map_put("m", ("a", 2), "tuple")
            ctx.map_put("m", "1", "str")
            assert ctx.map_remove("m", "1") and not ctx.map_remove("m", "1")
            assert ctx.map_get("m", "missing", "default") == "default"
            ctx.list_append("l", {"any": "object"})
            seen.append((sorted(ctx.map_items("m"), key=repr), ctx.list("l")))
            with pytest.raises(TypeError, match="list"):
                ctx.map_put("m", [1], "unhashable")
            ctx.clear_map("m")
            ctx.clear_list("l")
            assert ctx.map_items("m") == [] and ctx.list("l") == []

    sabot.from_arrow(pa.table({"key": [7]})).process(Keys(), by="key", schema=OUT).collect()
    assert seen == [([(("a", 2), "tuple"), (True, "bool")], [{"any": "object"}])]


COUNTS = pa.schema([("key", pa.int64()), ("n", pa.int64())])


class RunningCount:
    def process(self, rows, ctx):
        n = ctx.value("n", 0)
        counts = list(range(n + 1, n + rows.num_rows + 1))
        ctx.set_value("n", counts[-1])
        ctx.emit(pa.record_batch([rows.column("key"), pa.array(counts, pa.int64())], schema=COUNTS))


def test_state_ttl_forgets_a_key_silent_longer_than_the_ttl_in_event_time():
    # Key 0 ticks every second for 200 s, keeping the watermark going; key 1 has rows in
    # the first 10 s and again from 100 s: 90 s of silence, against a TTL of 30 s.
    second = 1_000_000
    rows = [(0, t) for t in range(200)] + [(1, t) for t in range(10)] + [(1, t) for t in range(100, 105)]
    rows.sort(key=lambda r: r[1])
    table = pa.table({"key": pa.array([k for k, _ in rows], pa.int64()),
                      "ts": pa.array([t * second for _, t in rows], pa.timestamp("us"))})
    table = cut_randomly(table, random.Random(3), 5)

    def run(**ttl):
        stream = sabot.from_arrow(table, event_time="ts").process(RunningCount(), by="key", schema=COUNTS, **ttl)
        got = stream.collect(threads=1)
        return [n for k, n in zip(got.column("key").to_pylist(), got.column("n").to_pylist()) if k == 1], stream

    kept, _ = run()
    assert kept == list(range(1, 16))
    forgot, stream = run(state_ttl=dt.timedelta(seconds=30))
    assert forgot == list(range(1, 11)) + list(range(1, 6))
    assert "ttl 30000000us" in stream.explain()
    report = stream.explain_analyze()
    assert "expired keys" in report
    with pytest.raises(ValueError, match="state_ttl"):
        sabot.from_arrow(table).process(RunningCount(), by="key", schema=COUNTS, state_ttl=-1)


TIMERS = pa.schema([("key", pa.int64()), ("domain", pa.string()), ("late", pa.bool_())])


def test_processing_time_timers_fire_on_the_next_message_and_at_the_end():
    class Reminders:
        def process(self, rows, ctx):
            if ctx.value("seen") is None:
                ctx.set_value("seen", True)
                ctx.register_processing_timer(ctx.processing_time)  # due now: fires on the next message
                ctx.register_processing_timer(ctx.processing_time + 3_600 * 1_000_000)  # only the end fires it

        def on_timer(self, time_us, ctx):
            late = time_us > ctx.processing_time
            ctx.emit(pa.record_batch([pa.array([ctx.key["key"]], pa.int64()), pa.array([ctx.time_domain]),
                                      pa.array([late])], schema=TIMERS))

    table = pa.table({"key": pa.array([i % 4 for i in range(40)], pa.int64()),
                      "ts": pa.array(range(40), pa.timestamp("us"))})
    got = (sabot.from_arrow(cut_randomly(table, random.Random(5), 6), event_time="ts")
           .process(Reminders(), by="key", schema=TIMERS).collect(threads=1))
    rows = sorted(zip(got.column("key").to_pylist(), got.column("domain").to_pylist(), got.column("late").to_pylist()))
    assert rows == sorted([(k, "processing_time", False) for k in range(4)] +
                          [(k, "processing_time", True) for k in range(4)])
    # The hour-away timers fire only at the end, after every due one.
    assert got.column("late").to_pylist() == [False] * 4 + [True] * 4
