"""The Nexmark event generator (sabot.nexmark) and the first Nexmark queries, checked
against DuckDB over the same generated rows."""
from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import sabot
from sabot.expr import col

EVENTS = 200_000


@pytest.fixture(scope="module")
def tables():
    return {t: sabot.nexmark(t, events=EVENTS, seed=7).collect() for t in ("person", "auction", "bid")}


def test_proportions_and_event_order(tables):
    assert tables["person"].num_rows == EVENTS // 50
    assert tables["auction"].num_rows == EVENTS * 3 // 50
    assert tables["bid"].num_rows == EVENTS * 46 // 50
    for t in tables.values():
        times = t.column("date_time")
        assert pc.all(pc.greater(times.slice(1), times.slice(0, len(times) - 1))).as_py()  # monotonic, unique


def test_ids_follow_the_model(tables):
    people, auctions, bids = tables["person"], tables["auction"], tables["bid"]
    assert people.column("id").to_pylist() == list(range(1000, 1000 + people.num_rows))
    assert auctions.column("id").to_pylist() == list(range(1000, 1000 + auctions.num_rows))
    # Every bid names an auction and a bidder that exist by then.
    assert pc.max(bids.column("auction")).as_py() < 1000 + auctions.num_rows
    assert pc.min(bids.column("bidder")).as_py() >= 1000
    assert pc.max(bids.column("bidder")).as_py() < 1000 + people.num_rows
    assert set(auctions.column("category").to_pylist()) == {10, 11, 12, 13, 14}
    assert pc.all(pc.greater(auctions.column("reserve"), auctions.column("initial_bid"))).as_py()


def test_deterministic_and_the_same_on_any_thread_count():
    one = sabot.nexmark("bid", events=3_000_000, seed=3).collect(threads=1)
    assert sabot.nexmark("bid", events=3_000_000, seed=3).collect(threads=3).equals(one)
    assert not sabot.nexmark("bid", events=3_000_000, seed=4).collect(threads=1).equals(one)


def test_unbounded_emits_batches_until_cut():
    assert sabot.nexmark("bid", events=None, batch_size=1000).limit(5000).count() == 5000


def test_bad_options_are_named():
    with pytest.raises(sabot.SabotError, match="unknown nexmark table 'bids'"):
        sabot.nexmark("bids")
    with pytest.raises(sabot.SabotError, match="events_per_second must be >= 1"):
        sabot.nexmark("bid", events_per_second=0).count()


def test_q0_to_q3_match_duckdb(tables):
    person, auction, bid = tables["person"], tables["auction"], tables["bid"]  # noqa: F841 (DuckDB scans them)
    src = lambda t: sabot.nexmark(t, events=EVENTS, seed=7)  # noqa: E731
    # q0: pass-through.
    assert src("bid").count() == duckdb.sql("SELECT count(*) FROM bid").fetchall()[0][0]
    # q1: prices in euros.
    q1 = src("bid").select("auction", "bidder", price=col("price") * 0.908, date_time=col("date_time")).collect()
    want = duckdb.sql("SELECT auction, bidder, price * 0.908::DOUBLE AS price, date_time FROM bid").arrow()
    want = want.read_all() if hasattr(want, "read_all") else want
    assert q1.column("price").to_pylist() == pytest.approx(want.column("price").to_pylist())
    # q2: bids on some auctions.
    q2 = src("bid").filter(sabot.call("modulo", col("auction"), 123) == 0).select("auction", "price").collect()
    want = duckdb.sql("SELECT auction, price FROM bid WHERE auction % 123 = 0").arrow()
    want = want.read_all() if hasattr(want, "read_all") else want
    assert q2.to_pylist() == want.to_pylist()
    # q3: local item suggestion (who sells in category 10 in OR, ID or CA).
    sellers = src("person").filter((col("state") == "OR") | (col("state") == "ID") | (col("state") == "CA"))
    q3 = (src("auction").filter(col("category") == 10)
          .join(sellers, left_on="seller", right_on="id")
          .select("name", "city", "state", "id").sort("id", "name").collect())
    want = duckdb.sql("""SELECT p.name, p.city, p.state, a.id FROM auction a JOIN person p ON a.seller = p.id
                         WHERE a.category = 10 AND p.state IN ('OR', 'ID', 'CA') ORDER BY a.id, p.name""").arrow()
    want = want.read_all() if hasattr(want, "read_all") else want
    assert q3.to_pylist() == want.to_pylist()
    assert q3.num_rows > 0


def test_a_plan_file_reads_nexmark_through_the_cli(tmp_path, repo_root):
    import json
    import os
    import subprocess

    import pyarrow.parquet as pq
    out = tmp_path / "bids.parquet"
    plan = sabot.nexmark("bid", events=10_000, seed=7).filter(col("price") > 1000).to_plan_json("parquet", str(out))
    assert json.loads(plan)["plan"]["input"]["input"]["nexmark"]["table"] == "bid"
    path = tmp_path / "plan.json"
    path.write_text(plan)
    sabot_bin = os.environ.get("SABOT_BIN", str(repo_root / "build" / "sabot"))
    proc = subprocess.run([sabot_bin, "run", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    want = sabot.nexmark("bid", events=10_000, seed=7).filter(col("price") > 1000).collect()
    assert pq.read_table(out).equals(want)
