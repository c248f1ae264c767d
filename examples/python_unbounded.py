"""An unbounded job from Python: `async for` over an endless, rate-limited generator.

    .venv/bin/python examples/python_unbounded.py               # about 2 seconds
    .venv/bin/python -m sabot run examples/python_unbounded.py --seconds 0.5

The engine runs on its own threads; the event loop stays free (a heartbeat task keeps
ticking) and `break` stops the pipeline and frees its threads.
"""
import argparse
import asyncio
import time

import pyarrow.compute as pc

import sabot
from sabot import col


async def heartbeat(ticks: list) -> None:
    while True:
        await asyncio.sleep(0.1)
        ticks.append(time.monotonic())


async def main(seconds: float, max_batches: int) -> None:
    events = (sabot.generate(rows=None, rows_per_second=20_000, batch_size=2_000)
              .filter(col("value") > 0.5)
              .with_columns(value_x100=col("value") * 100))
    print(f"bounded: {events.is_bounded}")
    ticks: list = []
    beat = asyncio.create_task(heartbeat(ticks))
    start = time.monotonic()
    batches = rows = 0
    async for batch in events:
        batches += 1
        rows += batch.num_rows
        mean = pc.mean(batch["value_x100"]).as_py()
        print(f"batch {batches}: {batch.num_rows} rows, first id {batch['id'][0]}, mean value_x100 {mean:.1f}")
        if time.monotonic() - start >= seconds or batches >= max_batches:
            break  # stops the pipeline; the engine's threads are freed
    beat.cancel()
    await asyncio.sleep(0.1)
    print(f"stopped after {batches} batches, {rows} rows, {time.monotonic() - start:.1f} s; "
          f"heartbeats meanwhile: {len(ticks)}; engine threads left: {sabot._core.active_engine_threads()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="async for over an endless generator")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--max-batches", type=int, default=1_000)
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.max_batches))
