"""Global windows: one window per key over all time, emitted at the end of input (its
rows equal a GROUP BY, and DuckDB's), earlier by a count trigger."""
import asyncio

import pyarrow as pa

import sabot
from sabot import agg

from sabot_test_support import assert_same_rows


def test_global_window_at_end_of_input_matches_duckdb(duck):
    stream = sabot.generate(rows=20_000, batch_size=1_500, num_keys=9)
    got = stream.global_window(by="key").agg(n=agg.count(), total=agg.sum("value")).collect()
    assert got.column_names == ["key", "n", "total"]
    duck.register("t", stream.collect())
    want = duck.sql("SELECT key, count(*) AS n, sum(value) AS total FROM t GROUP BY key").arrow()
    assert_same_rows(got, pa.table(want))


def test_count_trigger_emits_early_and_the_last_row_per_key_is_final(duck):
    stream = sabot.generate(rows=10_000, batch_size=700, num_keys=4)
    fired = stream.global_window(by="key", trigger_count=1_000).agg(n=agg.count(), top=agg.max("id")).collect()
    final = stream.group_by("key").agg(n=agg.count(), top=agg.max("id")).collect()
    assert fired.num_rows > final.num_rows  # keys fired before the end
    duck.register("fired", fired.append_column("seq", pa.array(range(fired.num_rows))))
    last = duck.sql("""SELECT key, n, top FROM fired
                       QUALIFY row_number() OVER (PARTITION BY key ORDER BY seq DESC) = 1""").arrow()
    assert_same_rows(pa.table(last), final)
    # A key fires again only after 1000 more of its rows.
    by_key = {}
    for row in fired.to_pylist():
        by_key.setdefault(row["key"], []).append(row["n"])
    for counts in by_key.values():
        assert counts[0] >= 1_000
        assert all(later - earlier >= 1_000 for earlier, later in zip(counts[:-2], counts[1:-1]))


def test_interval_trigger_emits_while_an_endless_stream_runs():
    async def first():
        endless = sabot.generate(rows=None, batch_size=100, rows_per_second=5_000, num_keys=3)
        async for batch in endless.global_window(by="key", trigger_interval=100_000).agg(n=agg.count()):
            return batch.to_pylist()

    rows = asyncio.run(asyncio.wait_for(first(), 20))
    assert rows and all(r["n"] > 0 for r in rows)
