"""The Nexmark queries of the benchmark (bench/nexmark/queries.py) against DuckDB SQL
(bench/nexmark/sql.py) over the same generated events collected to Arrow. The events span
two UTC days and a few hundred seconds, so daily, 10 s and session windows all close more
than once."""
from __future__ import annotations

import datetime as dt
import sys

import duckdb
import pyarrow as pa
import pytest

import sabot
from sabot_test_support import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench"))
from nexmark import queries, sql  # noqa: E402

EVENTS = 100_000
RATE = 400  # events per second: 250 s of event time
MIDNIGHT_US = 1_700_006_400_000_000  # 2023-11-15 00:00 UTC
START_US = MIDNIGHT_US - 100_000_000


def src(table: str) -> sabot.Stream:
    return sabot.nexmark(table, events=EVENTS, seed=11, events_per_second=RATE, start_time_us=START_US,
                         batch_size=4096)


@pytest.fixture(scope="module")
def duck():
    con = duckdb.connect()
    for table in ("person", "auction", "bid"):
        con.register(table, src(table).collect())
    con.register("side_input", queries.side_input())
    return con


def _cell(value):
    if isinstance(value, dt.datetime):
        return int((value - dt.datetime(1970, 1, 1)).total_seconds()) * 1_000_000 + value.microsecond
    if isinstance(value, float):
        return float(f"{value:.9g}")
    return value


def _rows(table: pa.Table, columns: list[str]) -> list[tuple]:
    data = [table.column(c).to_pylist() for c in columns]
    rows = [tuple(_cell(v) for v in row) for row in zip(*data)]
    return sorted(rows, key=lambda r: tuple((v is None, v) for v in r))


@pytest.mark.parametrize("name", sorted(sql.QUERIES, key=lambda q: int(q[1:])))
def test_query_matches_duckdb(duck, name):
    want = duck.sql(sql.QUERIES[name]).arrow()
    want = want.read_all() if hasattr(want, "read_all") else want
    got = queries.QUERIES[name](src).collect()
    columns = want.column_names
    assert got.num_rows == want.num_rows, f"{name}: {got.num_rows} rows, DuckDB {want.num_rows}"
    assert want.num_rows > 0
    assert _rows(got, columns) == _rows(want, columns)


def test_windows_close_more_than_once(duck):
    assert queries.q15(src).count() == 2  # the events cross midnight
    assert queries.q12(src).count() > queries.q12(src).group_by("bidder").agg(n=sabot.agg.count()).count()


def test_channel_id_from_the_url():
    bids = pa.table({"auction": [1, 2, 3, 4], "bidder": [5, 6, 7, 8], "price": [10, 20, 30, 40],
                     "channel": ["Apple", "shop", "blog", "Baidu"],
                     "url": ["https://x/a?channel_id=9", "https://x/b?x=1&channel_id=42&y=2", "https://x/c", "u"]})
    got = queries.q21(lambda _: sabot.from_arrow(bids)).collect()
    assert got.column("auction").to_pylist() == [1, 2, 4]
    assert got.column("channel_id").to_pylist() == ["0", "42", "3"]


def test_top_k_per_group_matches_row_number(duck):
    # Ties on price keep input order, as ROW_NUMBER() over the generated order does.
    got = src("bid").top_k(3, "price", per=["auction"]).collect()
    want = duck.sql("""SELECT auction, price, bidder FROM (SELECT *, row_number() OVER
                         (PARTITION BY auction ORDER BY price, date_time) AS rn FROM bid) WHERE rn <= 3""").arrow()
    want = want.read_all() if hasattr(want, "read_all") else want
    assert _rows(got, ["auction", "price", "bidder"]) == _rows(want, ["auction", "price", "bidder"])


def test_filtered_aggregates_match_filter_clause(duck):
    from sabot import agg, col
    got = src("bid").group_by("channel").agg(n=agg.count(where=col("price") > 5000),
                                             people=agg.count_distinct("bidder", where=col("price") < 900),
                                             top=agg.max("price", where=sabot.call("modulo", col("auction"), 2) == 0)).collect()
    want = duck.sql("""SELECT channel, count(*) FILTER (WHERE price > 5000) AS n,
                              count(DISTINCT bidder) FILTER (WHERE price < 900) AS people,
                              max(price) FILTER (WHERE auction % 2 = 0) AS top FROM bid GROUP BY channel""").arrow()
    want = want.read_all() if hasattr(want, "read_all") else want
    assert _rows(got, want.column_names) == _rows(want, want.column_names)
    with pytest.raises(TypeError, match="filtered aggregate needs a name"):
        src("bid").agg(agg.count(where=col("price") > 1))


def test_q10_writes_one_csv_per_minute(duck, tmp_path):
    out = tmp_path / "bids"
    written = queries.WRITERS["q10"](queries.q10(src), str(out))
    want = duck.sql("""SELECT auction, bidder, price, epoch_us(date_time) AS date_time,
                              strftime(date_time, '%Y-%m-%d') AS dt,
                              strftime(date_trunc('minute', date_time), '%H:%M:%S') AS hm FROM bid""").arrow()
    want = want.read_all() if hasattr(want, "read_all") else want
    assert written == want.num_rows > 0
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    minutes = duck.execute("SELECT count(DISTINCT date_trunc('minute', date_time)) FROM bid").fetchall()[0][0]
    assert len(files) == minutes > 2 and all(f.endswith("/part-0.csv") and f.startswith("dt=") for f in files)
    assert not list(tmp_path.glob("*.sabot-tmp-*")), "the temporary directory is renamed away"
    got = duck.sql(f"""SELECT auction, bidder, price, epoch_us(date_time) AS date_time, dt, hm
                       FROM read_csv('{out}/*/*/*.csv', hive_partitioning = true, hive_types_autocast = false)""").arrow()
    got = got.read_all() if hasattr(got, "read_all") else got
    header = duck.sql(f"SELECT * FROM read_csv('{out}/{files[0]}', hive_partitioning = false)").columns
    assert header == ["auction", "bidder", "price", "date_time", "extra"], "partition columns stay out of the files"
    assert _rows(got, want.column_names) == _rows(want, want.column_names)
