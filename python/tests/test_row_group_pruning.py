"""Row groups whose Parquet statistics show that no row passes a filter are skipped
unread: data written in event-time (or id) order keeps most of a time-range query off the
disk. Answers are checked against DuckDB on the same file; explain_analyze shows the rows
skipped."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sabot
from sabot.expr import col

ROWS = 200_000
GROUP = 20_000  # 10 row groups


@pytest.fixture(scope="module")
def events(tmp_path_factory):
    # Events in time order, one a second from 2024-03-01; a user id and an amount that are
    # not sorted; a region string sorted in blocks; an id, the row number.
    rng = np.random.default_rng(7)
    start = np.datetime64("2024-03-01T00:00:00", "us")
    table = pa.table({
        "id": pa.array(np.arange(ROWS), pa.int64()),
        "ts": pa.array(start + np.arange(ROWS).astype("timedelta64[s]"), pa.timestamp("us")),
        "user": pa.array(rng.integers(0, 1000, ROWS), pa.int64()),
        "amount": pa.array(rng.random(ROWS) * 100),
        "region": pa.array(np.repeat(["apac", "emea", "latam", "na"], ROWS // 4)),
    })
    path = tmp_path_factory.mktemp("pruning") / "events.parquet"
    pq.write_table(table, path, row_group_size=GROUP)
    return path


def _duckdb(sql: str) -> pa.Table:
    result = duckdb.sql(sql).arrow()
    return result.read_all() if hasattr(result, "read_all") else result


def _filter_line(text: str, step: str = "Filter") -> tuple[int, int]:
    """A step's rows in and skipped rows, from explain_analyze's table."""
    header = text.splitlines()[1]
    assert header.rstrip().endswith("skipped rows"), text
    line = next(line for line in text.splitlines() if line.strip().startswith(step))
    numbers = re.findall(r"\s(\d+)(?=\s|$)", line)
    return int(numbers[0]), int(numbers[-1])


@pytest.mark.parametrize("threads", [1, 4])
def test_a_time_range_reads_only_its_row_groups(events, threads):
    lo, hi = datetime(2024, 3, 1, 10), datetime(2024, 3, 1, 12)  # seconds 36000-43199
    predicate = (col("ts") >= lo) & (col("ts") < hi) & (col("amount") > 50.0)
    sabot.set_threads(threads)
    try:
        stream = sabot.read_parquet(events).filter(predicate).select("ts", "user", "amount")
        got = stream.collect()
        text = stream.explain_analyze()
    finally:
        sabot.set_threads(None)
    want = _duckdb(f"SELECT ts, \"user\", amount FROM read_parquet('{events}') "
                   f"WHERE ts >= TIMESTAMP '{lo}' AND ts < TIMESTAMP '{hi}' AND amount > 50 ORDER BY ts")
    assert got.num_rows == want.num_rows > 0
    assert got.column("ts").to_pylist() == want.column("ts").to_pylist()  # source order
    assert got.column("user").to_pylist() == want.column("user").to_pylist()
    # Rows 36000-43199 lie in row groups 1 and 2 (20000-59999): the other 8 are skipped.
    rows_in, skipped = _filter_line(text)
    assert (rows_in, skipped) == (2 * GROUP, 8 * GROUP)


def test_an_aggregate_over_a_string_range_and_an_or(events):
    predicate = (col("region") == "emea") | (col("ts") < datetime(2024, 3, 1, 0, 1))
    stream = (sabot.read_parquet(events).filter(predicate)
              .group_by("region").agg(n=sabot.agg.count(), total=sabot.agg.sum("amount")).sort("region"))
    got = stream.collect()
    want = _duckdb(f"SELECT region, count(*) AS n, sum(amount) AS total FROM read_parquet('{events}') "
                   f"WHERE region = 'emea' OR ts < TIMESTAMP '2024-03-01 00:01:00' GROUP BY region ORDER BY region")
    assert got.column("region").to_pylist() == want.column("region").to_pylist()
    assert got.column("n").to_pylist() == want.column("n").to_pylist()
    assert np.allclose(got.column("total").to_numpy(), want.column("total").to_numpy())
    # emea is rows 50000-99999 (row groups 2-4), the first minute row group 0: 6 skipped.
    _, skipped = _filter_line(stream.explain_analyze())
    assert skipped == 6 * GROUP


def test_columns_without_order_or_of_floating_point_skip_nothing(events):
    # Every row group holds users 0-999 and amounts across 0-100 (and statistics of
    # floating point columns are never used: they leave NaN out).
    for predicate, sql in ((col("user") > 998, "\"user\" > 998"), (col("amount") > 99.99, "amount > 99.99")):
        stream = sabot.read_parquet(events).filter(predicate).select("user")
        want = _duckdb(f"SELECT count(*) AS n FROM read_parquet('{events}') WHERE {sql}")
        assert stream.collect().num_rows == want.column("n")[0].as_py() > 0
        assert "skipped rows" not in stream.explain_analyze()


@pytest.mark.parametrize("how", ["inner", "semi"])
def test_a_join_reads_only_the_row_groups_its_build_keys_reach(events, how):
    # A few ids of row group 3 (60000-79999) on the build side: the probe scan of the
    # sorted ids skips the other 9 row groups (with more than one thread, where the build
    # is done before the probe's scan starts).
    wanted = pa.table({"wanted": pa.array([60_123, 61_000, 65_432, 79_999], pa.int64())})
    sabot.set_threads(2)
    try:
        stream = (sabot.read_parquet(events).join(sabot.from_arrow(wanted), left_on="id", right_on="wanted", how=how)
                  .select("id", "user", "region").sort("id"))
        got = stream.collect()
        text = stream.explain_analyze()
    finally:
        sabot.set_threads(None)
    con = duckdb.connect()
    con.register("wanted", wanted)
    join = "JOIN wanted ON id = wanted" if how == "inner" else "WHERE id IN (SELECT wanted FROM wanted)"
    want = con.sql(f"SELECT id, \"user\", region FROM read_parquet('{events}') {join} ORDER BY id").arrow()
    want = want.read_all() if hasattr(want, "read_all") else want
    assert got.to_pylist() == want.to_pylist() and got.num_rows == 4
    _, skipped = _filter_line(text, step="Join")
    assert skipped == 9 * GROUP
