"""Sync and async iteration: `for` runs bounded plans, `async for` any plan without
blocking the loop; leaving early, cancelling and Ctrl-C stop the engine's threads."""
from __future__ import annotations

import asyncio
import gc
import signal
import subprocess
import sys
import textwrap
import time

import pyarrow as pa
import pytest

import sabot
from sabot import col
from sabot_test_support import engine_threads, subprocess_env


def wait_for_no_engine_threads(timeout: float = 2.0) -> int:
    deadline = time.monotonic() + timeout
    while True:
        gc.collect()
        n = engine_threads()
        if n == 0 or time.monotonic() > deadline:
            return n
        time.sleep(0.02)


@pytest.fixture(autouse=True)
def no_leftover_threads():
    yield
    assert wait_for_no_engine_threads() == 0


def test_for_yields_record_batches():
    batches = list(sabot.generate(rows=10_000, batch_size=1_000))
    assert len(batches) == 10 and all(isinstance(b, pa.RecordBatch) for b in batches)
    assert [b["id"][0].as_py() for b in batches] == list(range(0, 10_000, 1_000))


def test_for_over_unbounded_stream_raises_clearly():
    stream = sabot.generate(rows=None).filter(col("value") > 0.5)
    assert not stream.is_bounded
    with pytest.raises(sabot.SabotError, match="async for"):
        for _ in stream:
            pass
    with pytest.raises(sabot.SabotError, match="unbounded"):
        stream.collect()
    assert engine_threads() == 0


def test_break_out_of_for_stops_the_engine():
    for i, _ in enumerate(sabot.generate(rows=10**9, batch_size=1_000)):
        if i == 3:
            break
    gc.collect()
    assert wait_for_no_engine_threads() == 0


def test_async_for_over_bounded_stream():
    async def main():
        return [b async for b in sabot.generate(rows=5_000, batch_size=1_000)]
    batches = asyncio.run(main())
    assert sum(b.num_rows for b in batches) == 5_000


def test_async_break_frees_engine_threads():
    async def main():
        seen = 0
        async for batch in sabot.generate(rows=None, batch_size=500):
            assert isinstance(batch, pa.RecordBatch)
            seen += 1
            if seen == 5:
                assert engine_threads() > 0  # the engine really is running
                break
        await asyncio.sleep(0.2)
        gc.collect()
        return seen, engine_threads()

    seen, threads = asyncio.run(main())
    assert seen == 5
    assert threads == 0


def test_async_task_cancel_frees_engine_threads():
    batches = 0

    async def consume():
        nonlocal batches
        async for _ in sabot.generate(rows=None, rows_per_second=5_000, batch_size=100):
            batches += 1

    async def main():
        task = asyncio.create_task(consume())
        await asyncio.sleep(0.3)
        assert engine_threads() > 0
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.2)
        gc.collect()
        return engine_threads()

    assert asyncio.run(main()) == 0
    assert batches > 0


def test_async_wait_for_timeout_frees_engine_threads():
    async def consume():
        async for _ in sabot.generate(rows=None, rows_per_second=2_000, batch_size=100):
            pass

    async def main():
        with pytest.raises((asyncio.TimeoutError, TimeoutError)):
            await asyncio.wait_for(consume(), timeout=0.3)
        await asyncio.sleep(0.2)
        gc.collect()
        return engine_threads()

    assert asyncio.run(main()) == 0


def test_async_iteration_does_not_block_the_loop():
    ticks: list[float] = []
    arrivals: list[float] = []

    async def ticker():
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)

    async def main():
        tick_task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        start = time.monotonic()
        async for batch in sabot.generate(rows=None, rows_per_second=2_000, batch_size=100):
            arrivals.append(time.monotonic())
            if time.monotonic() - start > 0.5:
                break
        tick_task.cancel()
        return start

    start = asyncio.run(main())
    # ~20 batches/s arrive; between them the loop kept ticking every ~10 ms.
    assert len(arrivals) >= 5
    assert len([t for t in ticks if t >= start]) >= 25
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert max(gaps) < 0.1, f"the event loop was blocked for {max(gaps):.3f} s"


def test_async_job_error_is_raised_in_the_task():
    def explode(batch):
        if batch.num_rows:
            raise ZeroDivisionError("bad batch")
        return batch

    async def main():
        async for _ in sabot.generate(rows=None, batch_size=100).map_batches(explode):
            pass

    with pytest.raises(ZeroDivisionError, match="bad batch"):
        asyncio.run(main())


def test_many_concurrent_async_streams():
    async def take(n):
        rows = 0
        async for batch in sabot.generate(rows=None, batch_size=100, seed=n):
            rows += batch.num_rows
            if rows >= 1_000:
                break
        return rows

    async def main():
        return await asyncio.gather(*(take(i) for i in range(8)))

    assert asyncio.run(main()) == [1_000] * 8


CTRL_C_JOB = textwrap.dedent("""
    import sys, time
    import sabot
    rows = 0
    try:
        for batch in sabot.generate(rows=10**9, batch_size=1_000, rows_per_second=50_000):
            rows += batch.num_rows
            if rows == 1_000:
                print("running", flush=True)
    except KeyboardInterrupt:
        print("interrupted", sabot._core.active_engine_threads(), flush=True)
        sys.exit(3)
    print("finished", flush=True)
""")


@pytest.mark.parametrize("job", ["for", "count"])
def test_ctrl_c_stops_a_running_job_promptly(job, tmp_path):
    script = CTRL_C_JOB
    if job == "count":  # a blocking sink run, not an iterator
        script = textwrap.dedent("""
            import sys, sabot
            print("running", flush=True)
            try:
                sabot.generate(rows=10**9, batch_size=1_000, rows_per_second=50_000).count()
            except KeyboardInterrupt:
                print("interrupted", sabot._core.active_engine_threads(), flush=True)
                sys.exit(3)
            print("finished", flush=True)
        """)
    path = tmp_path / "job.py"
    path.write_text(script)
    proc = subprocess.Popen([sys.executable, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=subprocess_env())
    try:
        assert proc.stdout.readline().strip() == "running"
        time.sleep(0.3)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
        elapsed = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 3, f"rc={proc.returncode}\nstdout={out}\nstderr={err}"
    assert out.strip() == "interrupted 0"
    assert elapsed < 5, f"took {elapsed:.1f} s to stop after Ctrl-C"
