"""The 22 TPC-H queries written with Sabot's Python API, as a user would write them.

Each ``qN(scan, sf)`` returns a Stream; ``scan(table, *columns)`` reads those columns of a
table (see :func:`tables`). Parameters are the specification's defaults, as in ``sql.py``.

What SQL has and the API lacks is written with what it has:
- correlated and scalar subqueries: aggregate first, then join (a one-row aggregate is
  joined on a constant key column);
- EXISTS / NOT EXISTS / IN (subquery): semi and anti joins, with ``where=`` for the
  extra condition of Q21;
- LIKE: Arrow's ``match_like``; SUBSTRING: ``utf8_slice_codeunits``; EXTRACT(YEAR):
  ``year``; CASE: ``if_else``; IN lists: ``Expr.is_in``; date arithmetic: the dates
  written out.
Sabot's optimizer pushes filters below projections (so a filter on a column that is not
cast runs on the scan) and reads only the columns a plan uses from its files; the queries
still name the columns they read, as a user would. Sabot's
aggregates take no decimal columns yet, so :func:`tables` reads TPC-H's
decimal(15, 2) columns as float64 (what a user does today); answers agree with
DuckDB's exact decimals within a relative 1e-6.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.parquet as pq

import sabot
from sabot import agg, call, col, lit
from sabot.expr import Expr

from .data import table_path
from .sql import q11_fraction

Scan = Callable[..., sabot.Stream]


def tables(folder: Path) -> Scan:
    """``scan(table, *columns)`` over the Parquet files in ``folder``; decimals as float64."""
    decimals: dict[str, set[str]] = {}

    def scan(table: str, *columns: str) -> sabot.Stream:
        path = table_path(folder, table)
        if table not in decimals:
            schema = pq.read_schema(path)
            decimals[table] = {f.name for f in schema if pa.types.is_decimal(f.type)}
        stream = sabot.read_parquet(path, columns=list(columns))
        casts = {c: col(c).cast("float64") for c in columns if c in decimals[table]}
        return stream.with_columns(**casts) if casts else stream

    return scan


def date(text: str) -> Expr:
    return lit(dt.date.fromisoformat(text))


def like(e: Expr, pattern: str) -> Expr:
    return call("match_like", e, pattern=pattern)


def between(e: Expr, low, high) -> Expr:
    return (e >= low) & (e <= high)


def disc_price() -> Expr:
    return col("l_extendedprice") * (1 - col("l_discount"))


def nations_of_region(scan: Scan, region: str) -> sabot.Stream:
    regions = scan("region", "r_regionkey", "r_name").filter(col("r_name") == region)
    return scan("nation", "n_nationkey", "n_name", "n_regionkey").join(
        regions, left_on="n_regionkey", right_on="r_regionkey", how="semi")


def q1(scan: Scan, sf: float) -> sabot.Stream:
    return (scan("lineitem", "l_returnflag", "l_linestatus", "l_quantity", "l_extendedprice",
                 "l_discount", "l_tax", "l_shipdate")
            .filter(col("l_shipdate") <= date("1998-09-02"))
            .with_columns(disc_price=disc_price(), charge=disc_price() * (1 + col("l_tax")))
            .group_by("l_returnflag", "l_linestatus")
            .agg(sum_qty=agg.sum("l_quantity"), sum_base_price=agg.sum("l_extendedprice"),
                 sum_disc_price=agg.sum("disc_price"), sum_charge=agg.sum("charge"),
                 avg_qty=agg.mean("l_quantity"), avg_price=agg.mean("l_extendedprice"),
                 avg_disc=agg.mean("l_discount"), count_order=agg.count())
            .sort("l_returnflag", "l_linestatus"))


def q2(scan: Scan, sf: float) -> sabot.Stream:
    europe = nations_of_region(scan, "EUROPE")
    suppliers = (scan("supplier", "s_suppkey", "s_name", "s_address", "s_nationkey", "s_phone", "s_acctbal",
                      "s_comment")
                 .join(europe, left_on="s_nationkey", right_on="n_nationkey"))
    offers = (scan("partsupp", "ps_partkey", "ps_suppkey", "ps_supplycost")
              .join(suppliers, left_on="ps_suppkey", right_on="s_suppkey"))
    cheapest = (offers.group_by("ps_partkey").agg(min_cost=agg.min("ps_supplycost"))
                .rename({"ps_partkey": "min_partkey"}))
    parts = (scan("part", "p_partkey", "p_mfgr", "p_size", "p_type")
             .filter((col("p_size") == 15) & like(col("p_type"), "%BRASS")))
    return (offers.join(parts, left_on="ps_partkey", right_on="p_partkey")
            .join(cheapest, left_on=["ps_partkey", "ps_supplycost"], right_on=["min_partkey", "min_cost"])
            .select("s_acctbal", "s_name", "n_name", "p_partkey", "p_mfgr", "s_address", "s_phone", "s_comment")
            .top_k(100, "s_acctbal", "n_name", "s_name", "p_partkey", descending=[True, False, False, False]))


def q3(scan: Scan, sf: float) -> sabot.Stream:
    customers = scan("customer", "c_custkey", "c_mktsegment").filter(col("c_mktsegment") == "BUILDING")
    orders = (scan("orders", "o_orderkey", "o_custkey", "o_orderdate", "o_shippriority")
              .filter(col("o_orderdate") < date("1995-03-15"))
              .join(customers, left_on="o_custkey", right_on="c_custkey", how="semi")
              .select("o_orderkey", "o_orderdate", "o_shippriority"))
    return (scan("lineitem", "l_orderkey", "l_extendedprice", "l_discount", "l_shipdate")
            .filter(col("l_shipdate") > date("1995-03-15"))
            .select("l_orderkey", "l_extendedprice", "l_discount")
            .join(orders, left_on="l_orderkey", right_on="o_orderkey")
            .with_columns(volume=disc_price())
            .group_by("l_orderkey", "o_orderdate", "o_shippriority")
            .agg(revenue=agg.sum("volume"))
            .select("l_orderkey", "revenue", "o_orderdate", "o_shippriority")
            .top_k(10, "revenue", "o_orderdate", descending=[True, False]))


def q4(scan: Scan, sf: float) -> sabot.Stream:
    late = (scan("lineitem", "l_orderkey", "l_commitdate", "l_receiptdate")
            .filter(col("l_commitdate") < col("l_receiptdate"))
            .select("l_orderkey"))
    return (scan("orders", "o_orderkey", "o_orderdate", "o_orderpriority")
            .filter((col("o_orderdate") >= date("1993-07-01")) & (col("o_orderdate") < date("1993-10-01")))
            .select("o_orderkey", "o_orderpriority")
            .join(late, left_on="o_orderkey", right_on="l_orderkey", how="semi")
            .group_by("o_orderpriority").agg(order_count=agg.count())
            .sort("o_orderpriority"))


def q5(scan: Scan, sf: float) -> sabot.Stream:
    suppliers = (scan("supplier", "s_suppkey", "s_nationkey")
                 .join(nations_of_region(scan, "ASIA"), left_on="s_nationkey", right_on="n_nationkey"))
    orders = (scan("orders", "o_orderkey", "o_custkey", "o_orderdate")
              .filter((col("o_orderdate") >= date("1994-01-01")) & (col("o_orderdate") < date("1995-01-01")))
              .select("o_orderkey", "o_custkey"))
    return (scan("lineitem", "l_orderkey", "l_suppkey", "l_extendedprice", "l_discount")
            .join(orders, left_on="l_orderkey", right_on="o_orderkey")
            .join(scan("customer", "c_custkey", "c_nationkey"), left_on="o_custkey", right_on="c_custkey")
            .join(suppliers, left_on=["l_suppkey", "c_nationkey"], right_on=["s_suppkey", "s_nationkey"])
            .with_columns(volume=disc_price())
            .group_by("n_name").agg(revenue=agg.sum("volume"))
            .sort("revenue", descending=True))


def q6(scan: Scan, sf: float) -> sabot.Stream:
    return (scan("lineitem", "l_quantity", "l_extendedprice", "l_discount", "l_shipdate")
            .filter((col("l_shipdate") >= date("1994-01-01")) & (col("l_shipdate") < date("1995-01-01"))
                    & between(col("l_discount"), 0.05, 0.07) & (col("l_quantity") < 24))
            .select(volume=col("l_extendedprice") * col("l_discount"))
            .agg(revenue=agg.sum("volume")))


def _nation_names(scan: Scan, names) -> sabot.Stream:
    return scan("nation", "n_nationkey", "n_name").filter(col("n_name").is_in(names))


def q7(scan: Scan, sf: float) -> sabot.Stream:
    pair = ("FRANCE", "GERMANY")
    suppliers = (scan("supplier", "s_suppkey", "s_nationkey")
                 .join(_nation_names(scan, pair).rename({"n_name": "supp_nation"}),
                       left_on="s_nationkey", right_on="n_nationkey"))
    customers = (scan("customer", "c_custkey", "c_nationkey")
                 .join(_nation_names(scan, pair).rename({"n_name": "cust_nation"}),
                       left_on="c_nationkey", right_on="n_nationkey"))
    return (scan("lineitem", "l_orderkey", "l_suppkey", "l_extendedprice", "l_discount", "l_shipdate")
            .filter(between(col("l_shipdate"), date("1995-01-01"), date("1996-12-31")))
            .join(suppliers, left_on="l_suppkey", right_on="s_suppkey")
            .join(scan("orders", "o_orderkey", "o_custkey"), left_on="l_orderkey", right_on="o_orderkey")
            .join(customers, left_on="o_custkey", right_on="c_custkey")
            .filter(col("supp_nation") != col("cust_nation"))
            .select("supp_nation", "cust_nation", l_year=call("year", col("l_shipdate")), volume=disc_price())
            .group_by("supp_nation", "cust_nation", "l_year").agg(revenue=agg.sum("volume"))
            .sort("supp_nation", "cust_nation", "l_year"))


def q8(scan: Scan, sf: float) -> sabot.Stream:
    customers = (scan("customer", "c_custkey", "c_nationkey")
                 .join(nations_of_region(scan, "AMERICA"), left_on="c_nationkey", right_on="n_nationkey",
                       how="semi"))
    orders = (scan("orders", "o_orderkey", "o_custkey", "o_orderdate")
              .filter(between(col("o_orderdate"), date("1995-01-01"), date("1996-12-31")))
              .join(customers, left_on="o_custkey", right_on="c_custkey", how="semi")
              .select("o_orderkey", "o_orderdate"))
    parts = scan("part", "p_partkey", "p_type").filter(col("p_type") == "ECONOMY ANODIZED STEEL")
    suppliers = (scan("supplier", "s_suppkey", "s_nationkey")
                 .join(scan("nation", "n_nationkey", "n_name"), left_on="s_nationkey", right_on="n_nationkey"))
    return (scan("lineitem", "l_orderkey", "l_partkey", "l_suppkey", "l_extendedprice", "l_discount")
            .join(parts, left_on="l_partkey", right_on="p_partkey", how="semi")
            .join(orders, left_on="l_orderkey", right_on="o_orderkey")
            .join(suppliers, left_on="l_suppkey", right_on="s_suppkey")
            .select(o_year=call("year", col("o_orderdate")), volume=disc_price(),
                    brazil=(col("n_name") == "BRAZIL").if_else(disc_price(), 0.0))
            .group_by("o_year").agg(brazil=agg.sum("brazil"), volume=agg.sum("volume"))
            .select("o_year", mkt_share=col("brazil") / col("volume"))
            .sort("o_year"))


def q9(scan: Scan, sf: float) -> sabot.Stream:
    green = scan("part", "p_partkey", "p_name").filter(like(col("p_name"), "%green%"))
    suppliers = (scan("supplier", "s_suppkey", "s_nationkey")
                 .join(scan("nation", "n_nationkey", "n_name"), left_on="s_nationkey", right_on="n_nationkey"))
    return (scan("lineitem", "l_orderkey", "l_partkey", "l_suppkey", "l_quantity", "l_extendedprice",
                 "l_discount")
            .join(green, left_on="l_partkey", right_on="p_partkey", how="semi")
            .join(scan("partsupp", "ps_partkey", "ps_suppkey", "ps_supplycost"),
                  left_on=["l_partkey", "l_suppkey"], right_on=["ps_partkey", "ps_suppkey"])
            .join(suppliers, left_on="l_suppkey", right_on="s_suppkey")
            .join(scan("orders", "o_orderkey", "o_orderdate"), left_on="l_orderkey", right_on="o_orderkey")
            .select(nation=col("n_name"), o_year=call("year", col("o_orderdate")),
                    amount=disc_price() - col("ps_supplycost") * col("l_quantity"))
            .group_by("nation", "o_year").agg(sum_profit=agg.sum("amount"))
            .sort("nation", "o_year", descending=[False, True]))


def q10(scan: Scan, sf: float) -> sabot.Stream:
    orders = (scan("orders", "o_orderkey", "o_custkey", "o_orderdate")
              .filter((col("o_orderdate") >= date("1993-10-01")) & (col("o_orderdate") < date("1994-01-01")))
              .select("o_orderkey", "o_custkey"))
    revenue = (scan("lineitem", "l_orderkey", "l_extendedprice", "l_discount", "l_returnflag")
               .filter(col("l_returnflag") == "R")
               .select("l_orderkey", "l_extendedprice", "l_discount")
               .join(orders, left_on="l_orderkey", right_on="o_orderkey")
               .with_columns(volume=disc_price())
               .group_by("o_custkey").agg(revenue=agg.sum("volume")))
    customers = (scan("customer", "c_custkey", "c_name", "c_address", "c_nationkey", "c_phone", "c_acctbal",
                      "c_comment")
                 .join(scan("nation", "n_nationkey", "n_name"), left_on="c_nationkey", right_on="n_nationkey"))
    return (customers.join(revenue, left_on="c_custkey", right_on="o_custkey")
            .select("c_custkey", "c_name", "revenue", "c_acctbal", "n_name", "c_address", "c_phone", "c_comment")
            .top_k(20, "revenue", descending=True))


def q11(scan: Scan, sf: float) -> sabot.Stream:
    germany = (scan("supplier", "s_suppkey", "s_nationkey")
               .join(_nation_names(scan, ["GERMANY"]), left_on="s_nationkey", right_on="n_nationkey", how="semi"))
    stock = (scan("partsupp", "ps_partkey", "ps_suppkey", "ps_availqty", "ps_supplycost")
             .join(germany, left_on="ps_suppkey", right_on="s_suppkey", how="semi")
             .with_columns(value=col("ps_supplycost") * col("ps_availqty").cast("float64")))
    threshold = (stock.agg(total=agg.sum("value"))
                 .select(threshold=col("total") * q11_fraction(sf), one=lit(1)))
    return (stock.group_by("ps_partkey").agg(value=agg.sum("value"))
            .with_columns(one=lit(1))
            .join(threshold, on="one")
            .filter(col("value") > col("threshold"))
            .select("ps_partkey", "value")
            .sort("value", descending=True))


def q12(scan: Scan, sf: float) -> sabot.Stream:
    urgent = col("o_orderpriority").is_in(["1-URGENT", "2-HIGH"])
    return (scan("lineitem", "l_orderkey", "l_shipmode", "l_shipdate", "l_commitdate", "l_receiptdate")
            .filter(col("l_shipmode").is_in(["MAIL", "SHIP"])
                    & (col("l_commitdate") < col("l_receiptdate")) & (col("l_shipdate") < col("l_commitdate"))
                    & (col("l_receiptdate") >= date("1994-01-01")) & (col("l_receiptdate") < date("1995-01-01")))
            .select("l_orderkey", "l_shipmode")
            .join(scan("orders", "o_orderkey", "o_orderpriority"), left_on="l_orderkey", right_on="o_orderkey")
            .select("l_shipmode", high=urgent.if_else(1, 0), low=urgent.if_else(0, 1))
            .group_by("l_shipmode").agg(high_line_count=agg.sum("high"), low_line_count=agg.sum("low"))
            .sort("l_shipmode"))


def q13(scan: Scan, sf: float) -> sabot.Stream:
    orders = (scan("orders", "o_orderkey", "o_custkey", "o_comment")
              .filter(~like(col("o_comment"), "%special%requests%"))
              .select("o_orderkey", "o_custkey"))
    return (scan("customer", "c_custkey")
            .join(orders, left_on="c_custkey", right_on="o_custkey", how="left")
            .group_by("c_custkey").agg(c_count=agg.count("o_orderkey"))
            .group_by("c_count").agg(custdist=agg.count())
            .sort("custdist", "c_count", descending=True))


def q14(scan: Scan, sf: float) -> sabot.Stream:
    return (scan("lineitem", "l_partkey", "l_extendedprice", "l_discount", "l_shipdate")
            .filter((col("l_shipdate") >= date("1995-09-01")) & (col("l_shipdate") < date("1995-10-01")))
            .select("l_partkey", "l_extendedprice", "l_discount")
            .join(scan("part", "p_partkey", "p_type"), left_on="l_partkey", right_on="p_partkey")
            .select(volume=disc_price(), promo=like(col("p_type"), "PROMO%").if_else(disc_price(), 0.0))
            .agg(promo=agg.sum("promo"), volume=agg.sum("volume"))
            .select(promo_revenue=100.0 * col("promo") / col("volume")))


def q15(scan: Scan, sf: float) -> sabot.Stream:
    revenue = (scan("lineitem", "l_suppkey", "l_extendedprice", "l_discount", "l_shipdate")
               .filter((col("l_shipdate") >= date("1996-01-01")) & (col("l_shipdate") < date("1996-04-01")))
               .with_columns(volume=disc_price())
               .group_by("l_suppkey").agg(total_revenue=agg.sum("volume")))
    # `exact` is read twice; a parallel run computes it once, but float sums on several
    # threads may differ in the last bits from run to run, so the max is compared at the
    # 4 decimals the exact sums have rather than relying on that.
    exact = revenue.with_columns(revenue_key=call("round", col("total_revenue"), ndigits=4))
    top = exact.agg(max_revenue=agg.max("revenue_key"))
    return (scan("supplier", "s_suppkey", "s_name", "s_address", "s_phone")
            .join(exact, left_on="s_suppkey", right_on="l_suppkey")
            .join(top, left_on="revenue_key", right_on="max_revenue")
            .select("s_suppkey", "s_name", "s_address", "s_phone", "total_revenue")
            .sort("s_suppkey"))


def q16(scan: Scan, sf: float) -> sabot.Stream:
    complaints = (scan("supplier", "s_suppkey", "s_comment")
                  .filter(like(col("s_comment"), "%Customer%Complaints%")))
    parts = (scan("part", "p_partkey", "p_brand", "p_type", "p_size")
             .filter((col("p_brand") != "Brand#45") & ~like(col("p_type"), "MEDIUM POLISHED%")
                     & col("p_size").is_in([49, 14, 23, 45, 19, 3, 36, 9])))
    return (scan("partsupp", "ps_partkey", "ps_suppkey")
            .join(complaints, left_on="ps_suppkey", right_on="s_suppkey", how="anti")
            .join(parts, left_on="ps_partkey", right_on="p_partkey")
            .group_by("p_brand", "p_type", "p_size").agg(supplier_cnt=agg.count_distinct("ps_suppkey"))
            .sort("supplier_cnt", "p_brand", "p_type", "p_size", descending=[True, False, False, False]))


def q17(scan: Scan, sf: float) -> sabot.Stream:
    parts = (scan("part", "p_partkey", "p_brand", "p_container")
             .filter((col("p_brand") == "Brand#23") & (col("p_container") == "MED BOX")))
    items = (scan("lineitem", "l_partkey", "l_quantity", "l_extendedprice")
             .join(parts, left_on="l_partkey", right_on="p_partkey", how="semi"))
    average = items.group_by("l_partkey").agg(avg_qty=agg.mean("l_quantity")).rename({"l_partkey": "avg_partkey"})
    return (items.join(average, left_on="l_partkey", right_on="avg_partkey")
            .filter(col("l_quantity") < 0.2 * col("avg_qty"))
            .agg(total=agg.sum("l_extendedprice"))
            .select(avg_yearly=col("total") / 7.0))


def q18(scan: Scan, sf: float) -> sabot.Stream:
    big = (scan("lineitem", "l_orderkey", "l_quantity")
           .group_by("l_orderkey").agg(sum_qty=agg.sum("l_quantity"))
           .filter(col("sum_qty") > 300))
    return (scan("orders", "o_orderkey", "o_custkey", "o_orderdate", "o_totalprice")
            .join(big, left_on="o_orderkey", right_on="l_orderkey")
            .join(scan("customer", "c_custkey", "c_name"), left_on="o_custkey", right_on="c_custkey")
            .select("c_name", "c_custkey", "o_orderkey", "o_orderdate", "o_totalprice", "sum_qty")
            .top_k(100, "o_totalprice", "o_orderdate", descending=[True, False]))


def q19(scan: Scan, sf: float) -> sabot.Stream:
    def kind(brand, containers, low_qty, max_size):
        return ((col("p_brand") == brand) & col("p_container").is_in(containers)
                & between(col("l_quantity"), low_qty, low_qty + 10) & between(col("p_size"), 1, max_size))

    return (scan("lineitem", "l_partkey", "l_quantity", "l_extendedprice", "l_discount", "l_shipinstruct",
                 "l_shipmode")
            .filter(col("l_shipmode").is_in(["AIR", "AIR REG"]) & (col("l_shipinstruct") == "DELIVER IN PERSON"))
            .select("l_partkey", "l_quantity", "l_extendedprice", "l_discount")
            .join(scan("part", "p_partkey", "p_brand", "p_container", "p_size"),
                  left_on="l_partkey", right_on="p_partkey")
            .filter(kind("Brand#12", ["SM CASE", "SM BOX", "SM PACK", "SM PKG"], 1, 5)
                    | kind("Brand#23", ["MED BAG", "MED BOX", "MED PKG", "MED PACK"], 10, 10)
                    | kind("Brand#34", ["LG CASE", "LG BOX", "LG PACK", "LG PKG"], 20, 15))
            .select(volume=disc_price())
            .agg(revenue=agg.sum("volume")))


def q20(scan: Scan, sf: float) -> sabot.Stream:
    forest = scan("part", "p_partkey", "p_name").filter(like(col("p_name"), "forest%"))
    shipped = (scan("lineitem", "l_partkey", "l_suppkey", "l_quantity", "l_shipdate")
               .filter((col("l_shipdate") >= date("1994-01-01")) & (col("l_shipdate") < date("1995-01-01")))
               .join(forest, left_on="l_partkey", right_on="p_partkey", how="semi")
               .group_by("l_partkey", "l_suppkey").agg(sum_qty=agg.sum("l_quantity")))
    excess = (scan("partsupp", "ps_partkey", "ps_suppkey", "ps_availqty")
              .join(forest, left_on="ps_partkey", right_on="p_partkey", how="semi")
              .join(shipped, left_on=["ps_partkey", "ps_suppkey"], right_on=["l_partkey", "l_suppkey"])
              .filter(col("ps_availqty") > 0.5 * col("sum_qty")))
    return (scan("supplier", "s_suppkey", "s_name", "s_address", "s_nationkey")
            .join(_nation_names(scan, ["CANADA"]), left_on="s_nationkey", right_on="n_nationkey", how="semi")
            .join(excess, left_on="s_suppkey", right_on="ps_suppkey", how="semi")
            .select("s_name", "s_address")
            .sort("s_name"))


def q21(scan: Scan, sf: float) -> sabot.Stream:
    saudi = (scan("supplier", "s_suppkey", "s_name", "s_nationkey")
             .join(_nation_names(scan, ["SAUDI ARABIA"]), left_on="s_nationkey", right_on="n_nationkey",
                   how="semi"))
    failed = scan("orders", "o_orderkey", "o_orderstatus").filter(col("o_orderstatus") == "F").select("o_orderkey")
    items = scan("lineitem", "l_orderkey", "l_suppkey", "l_commitdate", "l_receiptdate")
    late = items.filter(col("l_receiptdate") > col("l_commitdate")).select("l_orderkey", "l_suppkey")
    others = items.select(other_orderkey=col("l_orderkey"), other_suppkey=col("l_suppkey"))
    late_others = late.select(other_orderkey=col("l_orderkey"), other_suppkey=col("l_suppkey"))
    return (late.join(saudi, left_on="l_suppkey", right_on="s_suppkey")
            .join(failed, left_on="l_orderkey", right_on="o_orderkey", how="semi")
            .join(others, left_on="l_orderkey", right_on="other_orderkey", how="semi",
                  where=col("other_suppkey") != col("l_suppkey"))
            .join(late_others, left_on="l_orderkey", right_on="other_orderkey", how="anti",
                  where=col("other_suppkey") != col("l_suppkey"))
            .group_by("s_name").agg(numwait=agg.count())
            .top_k(100, "numwait", "s_name", descending=[True, False]))


def q22(scan: Scan, sf: float) -> sabot.Stream:
    codes = ["13", "31", "23", "29", "30", "18", "17"]
    customers = (scan("customer", "c_custkey", "c_phone", "c_acctbal")
                 .with_columns(cntrycode=call("utf8_slice_codeunits", col("c_phone"), start=0, stop=2))
                 .filter(col("cntrycode").is_in(codes)))
    average = (customers.filter(col("c_acctbal") > 0.0)
               .agg(avg_acctbal=agg.mean("c_acctbal"))
               .with_columns(one=lit(1)))
    return (customers.join(scan("orders", "o_custkey"), left_on="c_custkey", right_on="o_custkey", how="anti")
            .with_columns(one=lit(1))
            .join(average, on="one")
            .filter(col("c_acctbal") > col("avg_acctbal"))
            .group_by("cntrycode").agg(numcust=agg.count(), totacctbal=agg.sum("c_acctbal"))
            .sort("cntrycode"))


QUERIES: dict[int, Callable[[Scan, float], sabot.Stream]] = {
    n: globals()[f"q{n}"] for n in range(1, 23)
}
