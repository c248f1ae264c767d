"""Rows windows (``over(by=, rows=).agg(...)``): over random data cut into random batches,
with several keys, every row's aggregates are DuckDB's window functions
``AGG(x) OVER (PARTITION BY k ORDER BY seq ROWS BETWEEN n-1 PRECEDING AND CURRENT ROW)``."""
import datetime as dt
import random

import pyarrow as pa
import pytest

import sabot
from sabot import agg

from sabot_test_support import assert_same_rows, cut_randomly


def random_table(rng: random.Random, rows: int) -> pa.Table:
    keys = rng.randint(1, 30)
    return pa.table({
        "seq": pa.array(range(rows), pa.int64()),
        "k": pa.array([rng.randrange(keys) for _ in range(rows)], pa.int32()),
        "s": pa.array([rng.choice(["a", "b", None]) for _ in range(rows)]),
        "v": pa.array([rng.randint(-50, 50) if rng.random() > 0.1 else None for _ in range(rows)], pa.int64()),
        "w": pa.array([rng.uniform(-1e3, 1e3) if rng.random() > 0.2 else None for _ in range(rows)]),
        "t": pa.array([dt.datetime(2024, 1, 1) + dt.timedelta(seconds=rng.randrange(10_000)) for _ in range(rows)],
                      pa.timestamp("us")),
    })


@pytest.mark.parametrize("seed", range(8))
def test_rows_window_equals_duckdb_window_functions(seed, duck):
    rng = random.Random(seed)
    table = cut_randomly(random_table(rng, rng.randint(1, 3_000)), rng, max_rows=rng.choice([1, 7, 200, 5_000]))
    n = rng.choice([1, 2, 3, 10, 50])
    got = (sabot.from_arrow(table).over(by=["k", "s"], rows=n)
           .agg(avg_v=agg.mean("v"), sum_v=agg.sum("v"), min_w=agg.min("w"), max_t=agg.max("t"),
                sum_w=agg.sum("w"), n_v=agg.count("v"), rows=agg.count())
           .collect())
    assert got.column_names == [*table.column_names, "avg_v", "sum_v", "min_w", "max_t", "sum_w", "n_v", "rows"]
    assert got["seq"].to_pylist() == list(range(table.num_rows)), "rows leave in input order"
    duck.register("t", table)
    frame = f"OVER (PARTITION BY k, s ORDER BY seq ROWS BETWEEN {n - 1} PRECEDING AND CURRENT ROW)"
    want = duck.sql(f"""SELECT *, avg(v) {frame} AS avg_v, sum(v) {frame} AS sum_v, min(w) {frame} AS min_w,
                               max(t) {frame} AS max_t, sum(w) {frame} AS sum_w, count(v) {frame} AS n_v,
                               count(*) {frame} AS rows
                        FROM t ORDER BY seq""").arrow()
    assert_same_rows(got, pa.table(want).cast(got.schema))


def test_rows_window_in_streaming_keeps_watermarks_and_per_key_order():
    rows = [{"k": i % 3, "x": i, "ts": dt.datetime(2024, 1, 1) + dt.timedelta(seconds=i)} for i in range(12)]
    table = pa.Table.from_pylist(rows, pa.schema([("k", pa.int64()), ("x", pa.int64()), ("ts", pa.timestamp("us"))]))
    stream = sabot.from_arrow(cut_randomly(table, random.Random(1), max_rows=4), event_time="ts")
    got = stream.over(by="k", rows=2).agg(last2=agg.sum("x"), top=agg.max("x")).collect()
    assert got["last2"].to_pylist() == [0, 1, 2, 3, 5, 7, 9, 11, 13, 15, 17, 19]
    assert got["top"].to_pylist() == list(range(12))


def test_rows_window_errors_name_the_fault():
    stream = sabot.from_arrow(pa.table({"k": [1], "x": ["a"]}))
    with pytest.raises(ValueError, match="positive"):
        stream.over(by="k", rows=0)
    with pytest.raises(TypeError, match="where="):
        stream.over(by="k", rows=3).agg(n=agg.count("x", where=sabot.col("k") > 0))
    with pytest.raises(sabot.SabotError, match="'x'.*expected a number"):
        stream.over(by="k", rows=3).agg(total=agg.sum("x")).collect()
    with pytest.raises(sabot.SabotError, match="'nope'"):
        stream.over(by="nope", rows=3).agg(n=agg.count()).collect()
    assert "RowsWindow by k rows 3" in stream.over(by="k", rows=3).agg(n=agg.count()).explain()
