"""Event-time windows from Python: results equal DuckDB's bucketing, and an endless
stream yields each window as the watermark passes it."""
import asyncio
import datetime as dt

import pyarrow as pa
import pytest

import sabot
from sabot import agg, col

from sabot_test_support import assert_same_rows


def test_tumbling_and_sliding_windows_match_duckdb(duck):
    rows = 50_000
    stream = sabot.generate(rows=rows, batch_size=4_096, num_keys=7, time_step_us=1_000,
                            max_out_of_orderness_us=20_000)
    table = stream.collect()
    duck.register("t", table)
    size, slide = 2_000_000, 500_000

    tumbling = stream.window("ts", dt.timedelta(seconds=2), by="key").agg(
        n=agg.count(), total=agg.sum("value"), top=agg.max("id")).collect()
    want = duck.sql(f"""
        SELECT make_timestamp(epoch_us(ts) // {size} * {size}) AS window_start,
               make_timestamp(epoch_us(ts) // {size} * {size} + {size}) AS window_end,
               key, count(*) AS n, sum(value) AS total, max(id) AS top
        FROM t GROUP BY ALL""").arrow()
    assert_same_rows(tumbling, pa.table(want))

    sliding = stream.window("ts", size, slide=slide).agg(n=agg.count()).collect()
    want = duck.sql(f"""
        WITH starts AS (SELECT epoch_us(ts) // {slide} * {slide} - k * {slide} AS s
                        FROM t, range({size // slide}) r(k))
        SELECT make_timestamp(s) AS window_start, make_timestamp(s + {size}) AS window_end, count(*) AS n
        FROM starts GROUP BY s""").arrow()
    assert_same_rows(sliding, pa.table(want))


def test_windows_close_while_an_endless_stream_runs():
    async def first_windows():
        endless = sabot.generate(rows=None, batch_size=1_000, time_step_us=1_000)
        counts = endless.window("ts", dt.timedelta(seconds=1)).agg(n=agg.count())
        seen = []
        async for batch in counts:
            seen.extend(batch.to_pylist())
            if len(seen) >= 3:
                break
        return seen

    seen = asyncio.run(first_windows())
    # 1000 rows per second of event time; every closed window is complete.
    assert [w["n"] for w in seen[:3]] == [1000, 1000, 1000]
    assert all(w["window_end"] - w["window_start"] == dt.timedelta(seconds=1) for w in seen)


def test_window_errors_are_clear():
    stream = sabot.generate(rows=10)
    with pytest.raises(sabot.SabotError, match="timestamp"):
        stream.window("value", 1_000).agg(n=agg.count()).collect()
    with pytest.raises(TypeError, match="duration"):
        stream.window("ts", "1s")


def test_windowed_example_runs_from_the_cli(repo_root):
    import os
    import subprocess
    import sys

    sabot_bin = os.environ.get("SABOT_BIN", str(repo_root / "build" / "sabot"))
    proc = subprocess.run([sabot_bin, "run", str(repo_root / "examples" / "windowed_counts.py")],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "SABOT_PYTHON": sys.executable})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 5, proc.stdout
    # 1000 events per second of event time, up to 50 ms out of order across a boundary;
    # the first window holds only the early stragglers.
    counts = [int(line.split("events=")[1].split()[0]) for line in lines]
    assert all(900 <= n <= 1100 for n in counts[1:]), proc.stdout
