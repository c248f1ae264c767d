"""An endless stream aggregated in event-time windows, printed as each window closes.

    .venv/bin/python examples/windowed_counts.py --windows 5
    build/sabot run examples/windowed_counts.py

The generator emits rows at a fixed rate with an event-time column `ts` (one row per
millisecond of event time, up to 50 ms out of order) and watermarks; every second of
event time closes a tumbling window, which is printed as soon as the watermark passes it.
"""
import argparse
import asyncio
import datetime as dt

import sabot
from sabot import agg


async def main(windows: int, rows_per_second: float) -> None:
    events = sabot.generate(rows=None, rows_per_second=rows_per_second, batch_size=500, num_keys=4,
                            time_step_us=1_000, max_out_of_orderness_us=50_000)
    per_second = events.window("ts", dt.timedelta(seconds=1)).agg(
        events=agg.count(), keys=agg.count_distinct("key"), mean_value=agg.mean("value"))
    shown = 0
    async for batch in per_second:
        for w in batch.to_pylist():
            print(f"{w['window_start']:%H:%M:%S} - {w['window_end']:%H:%M:%S}  "
                  f"events={w['events']}  keys={w['keys']}  mean_value={w['mean_value']:.3f}", flush=True)
            shown += 1
            if shown >= windows:
                return


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=5, help="stop after this many windows")
    parser.add_argument("--rate", type=float, default=20_000, help="rows per second of wall time")
    args = parser.parse_args()
    asyncio.run(main(args.windows, args.rate))
