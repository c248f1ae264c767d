"""The 22 TPC-H queries (bench/tpch) at SF 0.1: Sabot's answers against DuckDB's SQL on
the same Parquet files, generated with tpchgen-cli into bench/.cache/tpch/ if missing.
Sabot runs them on one and on two threads; the Polars versions the benchmark times are
checked the same way."""
from __future__ import annotations

import sys

import duckdb
import pyarrow as pa
import pytest

import sabot
from sabot_test_support import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench"))
from tpch import check, data, polars_queries, queries, sql  # noqa: E402

SF = 0.1


@pytest.fixture(scope="module")
def folder():
    return data.ensure_data(SF)


@pytest.fixture(scope="module")
def duck(folder):
    con = duckdb.connect()
    data.duckdb_views(con, folder)
    yield con
    con.close()


@pytest.fixture
def threads(request):
    sabot.set_threads(request.param)
    yield request.param
    sabot.set_threads(None)


# On two threads the parallel parts of the plans (join probes, partial aggregates) run.
@pytest.mark.parametrize("threads", [1, 2], indirect=True)
@pytest.mark.parametrize("number", sql.QUERY_NUMBERS)
def test_sabot_answer_matches_duckdb(number, threads, folder, duck):
    got = queries.QUERIES[number](queries.tables(folder), SF).collect()
    want = duck.sql(sql.query(number, SF)).to_arrow_table()
    assert want.num_rows > 0  # every query has an answer at this scale
    check.compare(number, got, want)


# The optimizer chooses build sides from the Parquet footers' row counts: the plans show
# it, and the answers stay DuckDB's on both thread counts.
@pytest.mark.parametrize("threads", [1, 2], indirect=True)
def test_build_side_choice_rewrites_plans_and_keeps_answers(threads, folder, duck):
    scan = queries.tables(folder)
    q12 = queries.QUERIES[12](scan, SF)
    plan = q12.explain()
    # The filtered lineitems (~3K of 600K rows) are built, the 150K orders probe them;
    # a projection restores the written column order, cut to the columns used above, and
    # the join emits only those (not its keys).
    assert "Project l_shipmode, o_orderpriority\n" \
           "        -> l_shipmode: string, o_orderpriority: string\n" \
           "        Join inner on o_orderkey = l_orderkey output o_orderpriority, l_shipmode\n" in plan, plan
    check.compare(12, q12.collect(), duck.sql(sql.query(12, SF)).to_arrow_table())
    q21 = queries.QUERIES[21](scan, SF)
    plan = q21.explain()
    # EXISTS / NOT EXISTS over all lineitems build on the few lineitems still in play and
    # mark those the others match (right semi / right anti): all lineitems are read once.
    assert "Join right_semi on other_orderkey = l_orderkey" in plan, plan
    assert "Join right_anti on other_orderkey = l_orderkey" in plan, plan
    assert "Join semi on other_orderkey" not in plan, plan
    check.compare(21, q21.collect(), duck.sql(sql.query(21, SF)).to_arrow_table())
    q13 = queries.QUERIES[13](scan, SF)
    plan = q13.explain()
    # customer LEFT JOIN orders builds on the 15K customers, not the ~150K orders: a right
    # join that emits the customers without orders at the end.
    assert "Join right on o_custkey = c_custkey" in plan, plan
    assert "Join left" not in plan, plan
    check.compare(13, q13.collect(), duck.sql(sql.query(13, SF)).to_arrow_table())


# Q5's suppliers of ASIA are matched on the customer's nation too: their nations reduce
# the customers before the orders meet them, and those customers the orders.
@pytest.mark.parametrize("threads", [1, 2], indirect=True)
def test_q5_supplier_nations_reduce_customers_and_orders(threads, folder, duck):
    q5 = queries.QUERIES[5](queries.tables(folder), SF)
    plan = q5.explain()
    assert "Join semi on c_nationkey = s_nationkey" in plan, plan
    assert "Join semi on o_custkey = c_custkey" in plan, plan
    check.compare(5, q5.collect(), duck.sql(sql.query(5, SF)).to_arrow_table())


@pytest.mark.parametrize("number", sql.QUERY_NUMBERS)
def test_polars_answer_matches_duckdb(number, folder, duck):
    got = polars_queries.QUERIES[number](polars_queries.tables(folder), SF).collect().to_arrow()
    check.compare(number, got, duck.sql(sql.query(number, SF)).to_arrow_table(), "polars")


# The checker itself: it must catch what it is there to catch.
WANT = pa.table({"o_year": [1995, 1996], "mkt_share": [0.0344, 0.0414]})


def test_check_accepts_float_noise():
    check.compare(8, pa.table({"y": [1995, 1996], "s": [0.0344 * (1 + 1e-12), 0.0414]}), WANT)


@pytest.mark.parametrize("got, message", [
    (pa.table({"o_year": [1995, 1996], "mkt_share": [0.0344, 0.0415]}), "column mkt_share"),
    (pa.table({"o_year": [1996, 1995], "mkt_share": [0.0414, 0.0344]}), "out of order"),
    (pa.table({"o_year": [1995], "mkt_share": [0.0344]}), "1 rows, expected 2"),
    (pa.table({"o_year": [1995, 1996]}), "1 columns"),
])
def test_check_rejects_wrong_answers(got, message):
    with pytest.raises(check.WrongAnswer, match=message):
        check.compare(8, got, WANT)


def test_ties_may_come_in_any_order():
    # Q5 orders by revenue only: two nations with the same revenue may come either way.
    want = pa.table({"n_name": ["CHINA", "INDIA", "JAPAN"], "revenue": [9.0, 5.0, 5.0]})
    check.compare(5, pa.table({"n_name": ["CHINA", "JAPAN", "INDIA"], "revenue": [9.0, 5.0, 5.0]}), want)
    with pytest.raises(check.WrongAnswer, match="out of order"):
        check.compare(5, pa.table({"n_name": ["INDIA", "CHINA", "JAPAN"], "revenue": [5.0, 9.0, 5.0]}), want)


def test_unknown_query_and_scale_are_errors(tmp_path):
    with pytest.raises(ValueError, match="queries 1 to 22"):
        sql.query(23, SF)
    with pytest.raises(ValueError, match="scale factor must be positive"):
        data.ensure_data(0, root=tmp_path)
    with pytest.raises(ValueError, match="no table 'lineitems'"):
        data.table_path(tmp_path, "lineitems")
