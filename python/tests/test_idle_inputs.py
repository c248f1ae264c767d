"""Idle inputs: a union of an active and an idle endless source closes windows once the
idle one declared itself idle (idle_timeout), and holds them back without it."""
import asyncio
import datetime as dt

import sabot
from sabot import agg


def union_with_an_idle_source(idle_timeout):
    # The active source: 1000 rows of event time a second, 20 000 rows a second of wall
    # time. The idle one sends one batch, then nothing for 1000 s.
    active = sabot.generate(rows=None, batch_size=1_000, rows_per_second=20_000, time_step_us=1_000)
    idle = sabot.generate(rows=None, batch_size=1, rows_per_second=0.001, idle_timeout=idle_timeout)
    return active.union(idle).window("ts", dt.timedelta(seconds=1)).agg(n=agg.count())


async def first_windows(stream, count, seconds):
    """The first `count` windows (or fewer, if `seconds` run out). One batch may close
    several windows at once when the machine is busy, so more may have been read."""
    seen = []

    async def read():
        async for batch in stream:
            seen.extend(batch.to_pylist())
            if len(seen) >= count:
                return

    try:
        await asyncio.wait_for(read(), seconds)
    except asyncio.TimeoutError:
        pass
    return seen[:count]


def test_an_idle_input_stops_holding_the_watermark_back():
    seen = asyncio.run(first_windows(union_with_an_idle_source(dt.timedelta(milliseconds=200)), 3, 30))
    assert len(seen) == 3
    # The idle source's one row sits in the first window; the others hold the active
    # source's rows alone, all of them.
    assert [w["n"] for w in seen[1:]] == [1000, 1000]


def test_without_idle_timeout_the_idle_input_holds_windows_back():
    seen = asyncio.run(first_windows(union_with_an_idle_source(None), 1, 1.5))
    assert seen == []


def test_idle_timeout_belongs_to_a_source():
    import pytest
    with pytest.raises(sabot.SabotError, match="source"):
        sabot.generate(rows=10).filter(sabot.col("id") > 1).idle_timeout(1000)
