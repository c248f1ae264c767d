"""Late data end to end: rows within allowed lateness update their window (the last
emission of each window equals DuckDB over the rows that were not late), rows past it
come out of ``late_rows()`` and are counted in ``explain_analyze``."""
import datetime as dt
import random

import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import pytest

import sabot
from sabot import agg

from sabot_test_support import assert_same_rows

SIZE = 1_000_000        # 1 s tumbling windows
LATENESS = 1_500_000    # 1.5 s allowed lateness
BASE = 1_700_000_000_000_000


def stragglers(seed: int = 7) -> pa.Table:
    """Batches that each move time one second on, with a few rows up to 5 s old mixed in."""
    rng = random.Random(seed)
    batches = []
    for b in range(30):
        ts = [BASE + b * SIZE + rng.randrange(SIZE) for _ in range(50)]
        ts += [BASE + (b - rng.randint(1, 5)) * SIZE + rng.randrange(SIZE) for _ in range(rng.randint(0, 6))]
        rng.shuffle(ts)
        keys = [rng.randrange(3) for _ in ts]
        batches.append(pa.record_batch({"ts": pa.array(ts, pa.timestamp("us")), "key": pa.array(keys, pa.int64()),
                                        "v": pa.array([rng.random() for _ in ts])}))
    return pa.Table.from_batches(batches)


def expected_late(table: pa.Table) -> list[bool]:
    """Whether each row is late, by the definition: its window's end + lateness is at or
    below the watermark that arrived before its batch (max event time of earlier batches)."""
    late, watermark = [], None
    for batch in table.to_batches():
        times = [t.value if hasattr(t, "value") else t for t in batch.column("ts").cast(pa.int64()).to_pylist()]
        for t in times:
            end = t // SIZE * SIZE + SIZE
            late.append(watermark is not None and end + LATENESS <= watermark)
        watermark = max(times) if watermark is None else max(watermark, max(times))
    return late


def windowed(table: pa.Table) -> sabot.Stream:
    return (sabot.from_arrow(table, event_time="ts")
            .window("ts", SIZE, by="key", allowed_lateness=LATENESS)
            .agg(n=agg.count(), total=agg.sum("v")))


def test_late_rows_come_out_of_the_side_output_and_updates_complete_the_windows(duck):
    table = stragglers()
    late_mask = pa.array(expected_late(table))
    assert 0 < sum(late_mask.to_pylist()) < table.num_rows // 10

    late = windowed(table).late_rows().collect()
    assert late.schema == table.schema
    assert_same_rows(late, table.filter(late_mask))

    # Each (window, key) emitted again after a late row within lateness; the last
    # emission is its final value, which must count every row that was not late.
    results = windowed(table).collect()
    results = results.append_column("seq", pa.array(range(results.num_rows)))
    duck.register("results", results)
    finals = pa.table(duck.sql("""SELECT window_start, window_end, key, n, total FROM results
                         QUALIFY row_number() OVER (PARTITION BY window_start, key ORDER BY seq DESC) = 1""").arrow())
    assert results.num_rows > finals.num_rows, "no window was updated by a row within allowed lateness"
    duck.register("kept", table.filter(pa.compute.invert(late_mask)))
    want = duck.sql(f"""
        SELECT make_timestamp(epoch_us(ts) // {SIZE} * {SIZE}) AS window_start,
               make_timestamp(epoch_us(ts) // {SIZE} * {SIZE} + {SIZE}) AS window_end,
               key, count(*) AS n, sum(v) AS total
        FROM kept GROUP BY ALL""").arrow()
    assert_same_rows(finals, pa.table(want))


def test_late_row_count_is_shown_by_explain_analyze():
    table = stragglers()
    late = sum(expected_late(table))
    report = windowed(table).explain_analyze()
    header = next(line for line in report.splitlines() if line.startswith("step"))
    assert header.rstrip().endswith("late rows")
    window_line = next(line for line in report.splitlines() if "WindowAggregate" in line)
    assert int(window_line.split()[-1]) == late


def test_late_rows_of_a_session_window():
    table = stragglers()
    stream = (sabot.from_arrow(table, event_time="ts")
              .session_window("ts", dt.timedelta(milliseconds=1), by="key").agg(n=agg.count()))
    late = stream.late_rows().collect()
    kept = stream.collect()
    assert late.num_rows > 0
    assert late.num_rows + pa.compute.sum(kept["n"]).as_py() == table.num_rows


def test_late_rows_needs_a_window():
    with pytest.raises(sabot.SabotError, match="window aggregate"):
        sabot.generate(rows=10).late_rows()
