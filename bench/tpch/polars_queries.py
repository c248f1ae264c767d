"""The 22 TPC-H queries with Polars' lazy API: the second speed reference of the benchmark.

``qN(scan, sf)`` returns a LazyFrame; ``scan(table)`` is a ``pl.scan_parquet`` of the
table with its decimal columns cast to Float64, as Sabot reads them (see queries.py),
so both engines do the same float arithmetic. Polars' optimizer prunes columns and
pushes filters, so the queries name no columns up front.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable

import polars as pl

from .data import table_path
from .sql import q11_fraction

Scan = Callable[[str], pl.LazyFrame]


def tables(folder: Path) -> Scan:
    decimals: dict[str, list[str]] = {}

    def scan(table: str) -> pl.LazyFrame:
        frame = pl.scan_parquet(table_path(folder, table))
        if table not in decimals:
            decimals[table] = [n for n, dtype in frame.collect_schema().items() if isinstance(dtype, pl.Decimal)]
        return frame.with_columns(pl.col(decimals[table]).cast(pl.Float64)) if decimals[table] else frame

    return scan


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def disc_price() -> pl.Expr:
    return pl.col("l_extendedprice") * (1 - pl.col("l_discount"))


def q1(scan, sf):
    return (scan("lineitem").filter(pl.col("l_shipdate") <= d("1998-09-02"))
            .group_by("l_returnflag", "l_linestatus")
            .agg(sum_qty=pl.col("l_quantity").sum(), sum_base_price=pl.col("l_extendedprice").sum(),
                 sum_disc_price=disc_price().sum(), sum_charge=(disc_price() * (1 + pl.col("l_tax"))).sum(),
                 avg_qty=pl.col("l_quantity").mean(), avg_price=pl.col("l_extendedprice").mean(),
                 avg_disc=pl.col("l_discount").mean(), count_order=pl.len())
            .sort("l_returnflag", "l_linestatus"))


def q2(scan, sf):
    europe = (scan("region").filter(pl.col("r_name") == "EUROPE")
              .join(scan("nation"), left_on="r_regionkey", right_on="n_regionkey")
              .join(scan("supplier"), left_on="n_nationkey", right_on="s_nationkey")
              .join(scan("partsupp"), left_on="s_suppkey", right_on="ps_suppkey"))
    parts = scan("part").filter((pl.col("p_size") == 15) & pl.col("p_type").str.ends_with("BRASS"))
    offers = europe.join(parts, left_on="ps_partkey", right_on="p_partkey")
    return (offers.filter(pl.col("ps_supplycost") == pl.col("ps_supplycost").min().over("ps_partkey"))
            .select(pl.col("s_acctbal", "s_name", "n_name"), pl.col("ps_partkey").alias("p_partkey"),
                    pl.col("p_mfgr", "s_address", "s_phone", "s_comment"))
            .sort("s_acctbal", "n_name", "s_name", "p_partkey", descending=[True, False, False, False])
            .head(100))


def q3(scan, sf):
    customers = scan("customer").filter(pl.col("c_mktsegment") == "BUILDING")
    orders = scan("orders").filter(pl.col("o_orderdate") < d("1995-03-15"))
    items = scan("lineitem").filter(pl.col("l_shipdate") > d("1995-03-15"))
    return (customers.join(orders, left_on="c_custkey", right_on="o_custkey")
            .join(items, left_on="o_orderkey", right_on="l_orderkey")
            .group_by(pl.col("o_orderkey").alias("l_orderkey"), "o_orderdate", "o_shippriority")
            .agg(revenue=disc_price().sum())
            .select("l_orderkey", "revenue", "o_orderdate", "o_shippriority")
            .sort("revenue", "o_orderdate", descending=[True, False])
            .head(10))


def q4(scan, sf):
    late = scan("lineitem").filter(pl.col("l_commitdate") < pl.col("l_receiptdate"))
    return (scan("orders").filter(pl.col("o_orderdate").is_between(d("1993-07-01"), d("1993-10-01"), closed="left"))
            .join(late, left_on="o_orderkey", right_on="l_orderkey", how="semi")
            .group_by("o_orderpriority").agg(order_count=pl.len())
            .sort("o_orderpriority"))


def q5(scan, sf):
    asia = (scan("region").filter(pl.col("r_name") == "ASIA")
            .join(scan("nation"), left_on="r_regionkey", right_on="n_regionkey")
            .join(scan("supplier"), left_on="n_nationkey", right_on="s_nationkey"))
    orders = scan("orders").filter(pl.col("o_orderdate").is_between(d("1994-01-01"), d("1995-01-01"), closed="left"))
    return (scan("lineitem").join(orders, left_on="l_orderkey", right_on="o_orderkey")
            .join(scan("customer"), left_on="o_custkey", right_on="c_custkey")
            .join(asia, left_on=["l_suppkey", "c_nationkey"], right_on=["s_suppkey", "n_nationkey"])
            .group_by("n_name").agg(revenue=disc_price().sum())
            .sort("revenue", descending=True))


def q6(scan, sf):
    return (scan("lineitem")
            .filter(pl.col("l_shipdate").is_between(d("1994-01-01"), d("1995-01-01"), closed="left")
                    & pl.col("l_discount").is_between(0.05, 0.07) & (pl.col("l_quantity") < 24))
            .select(revenue=(pl.col("l_extendedprice") * pl.col("l_discount")).sum()))


def q7(scan, sf):
    pair = ["FRANCE", "GERMANY"]
    nations = scan("nation").filter(pl.col("n_name").is_in(pair))
    suppliers = scan("supplier").join(nations.select("n_nationkey", supp_nation="n_name"),
                                      left_on="s_nationkey", right_on="n_nationkey")
    customers = scan("customer").join(nations.select("n_nationkey", cust_nation="n_name"),
                                      left_on="c_nationkey", right_on="n_nationkey")
    return (scan("lineitem").filter(pl.col("l_shipdate").is_between(d("1995-01-01"), d("1996-12-31")))
            .join(suppliers, left_on="l_suppkey", right_on="s_suppkey")
            .join(scan("orders"), left_on="l_orderkey", right_on="o_orderkey")
            .join(customers, left_on="o_custkey", right_on="c_custkey")
            .filter(pl.col("supp_nation") != pl.col("cust_nation"))
            .group_by("supp_nation", "cust_nation", l_year=pl.col("l_shipdate").dt.year().cast(pl.Int64))
            .agg(revenue=disc_price().sum())
            .sort("supp_nation", "cust_nation", "l_year"))


def q8(scan, sf):
    america = (scan("region").filter(pl.col("r_name") == "AMERICA")
               .join(scan("nation"), left_on="r_regionkey", right_on="n_regionkey"))
    customers = scan("customer").join(america, left_on="c_nationkey", right_on="n_nationkey", how="semi")
    orders = (scan("orders").filter(pl.col("o_orderdate").is_between(d("1995-01-01"), d("1996-12-31")))
              .join(customers, left_on="o_custkey", right_on="c_custkey", how="semi"))
    parts = scan("part").filter(pl.col("p_type") == "ECONOMY ANODIZED STEEL")
    suppliers = scan("supplier").join(scan("nation"), left_on="s_nationkey", right_on="n_nationkey")
    return (scan("lineitem").join(parts, left_on="l_partkey", right_on="p_partkey", how="semi")
            .join(orders, left_on="l_orderkey", right_on="o_orderkey")
            .join(suppliers, left_on="l_suppkey", right_on="s_suppkey")
            .group_by(o_year=pl.col("o_orderdate").dt.year().cast(pl.Int64))
            .agg(mkt_share=pl.when(pl.col("n_name") == "BRAZIL").then(disc_price()).otherwise(0.0).sum()
                 / disc_price().sum())
            .sort("o_year"))


def q9(scan, sf):
    green = scan("part").filter(pl.col("p_name").str.contains("green", literal=True))
    return (scan("lineitem").join(green, left_on="l_partkey", right_on="p_partkey", how="semi")
            .join(scan("partsupp"), left_on=["l_partkey", "l_suppkey"], right_on=["ps_partkey", "ps_suppkey"])
            .join(scan("supplier"), left_on="l_suppkey", right_on="s_suppkey")
            .join(scan("nation"), left_on="s_nationkey", right_on="n_nationkey")
            .join(scan("orders"), left_on="l_orderkey", right_on="o_orderkey")
            .group_by(nation="n_name", o_year=pl.col("o_orderdate").dt.year().cast(pl.Int64))
            .agg(sum_profit=(disc_price() - pl.col("ps_supplycost") * pl.col("l_quantity")).sum())
            .sort("nation", "o_year", descending=[False, True]))


def q10(scan, sf):
    orders = scan("orders").filter(pl.col("o_orderdate").is_between(d("1993-10-01"), d("1994-01-01"), closed="left"))
    return (scan("lineitem").filter(pl.col("l_returnflag") == "R")
            .join(orders, left_on="l_orderkey", right_on="o_orderkey")
            .join(scan("customer"), left_on="o_custkey", right_on="c_custkey")
            .join(scan("nation"), left_on="c_nationkey", right_on="n_nationkey")
            .group_by(pl.col("o_custkey").alias("c_custkey"), "c_name", "c_acctbal", "c_phone", "n_name",
                      "c_address", "c_comment")
            .agg(revenue=disc_price().sum())
            .select("c_custkey", "c_name", "revenue", "c_acctbal", "n_name", "c_address", "c_phone", "c_comment")
            .sort("revenue", descending=True)
            .head(20))


def q11(scan, sf):
    stock = (scan("partsupp")
             .join(scan("supplier"), left_on="ps_suppkey", right_on="s_suppkey")
             .join(scan("nation").filter(pl.col("n_name") == "GERMANY"), left_on="s_nationkey",
                   right_on="n_nationkey", how="semi")
             .with_columns(value=pl.col("ps_supplycost") * pl.col("ps_availqty")))
    return (stock.group_by("ps_partkey").agg(value=pl.col("value").sum())
            .join(stock.select(threshold=pl.col("value").sum() * q11_fraction(sf)), how="cross")
            .filter(pl.col("value") > pl.col("threshold"))
            .select("ps_partkey", "value")
            .sort("value", descending=True))


def q12(scan, sf):
    urgent = pl.col("o_orderpriority").is_in(["1-URGENT", "2-HIGH"])
    return (scan("lineitem")
            .filter(pl.col("l_shipmode").is_in(["MAIL", "SHIP"])
                    & (pl.col("l_commitdate") < pl.col("l_receiptdate"))
                    & (pl.col("l_shipdate") < pl.col("l_commitdate"))
                    & pl.col("l_receiptdate").is_between(d("1994-01-01"), d("1995-01-01"), closed="left"))
            .join(scan("orders"), left_on="l_orderkey", right_on="o_orderkey")
            .group_by("l_shipmode")
            .agg(high_line_count=urgent.cast(pl.Int64).sum(), low_line_count=(~urgent).cast(pl.Int64).sum())
            .sort("l_shipmode"))


def q13(scan, sf):
    orders = scan("orders").filter(~pl.col("o_comment").str.contains("special.*requests"))
    return (scan("customer").join(orders, left_on="c_custkey", right_on="o_custkey", how="left")
            .group_by("c_custkey").agg(c_count=pl.col("o_orderkey").count().cast(pl.Int64))
            .group_by("c_count").agg(custdist=pl.len())
            .sort("custdist", "c_count", descending=True))


def q14(scan, sf):
    return (scan("lineitem").filter(pl.col("l_shipdate").is_between(d("1995-09-01"), d("1995-10-01"), closed="left"))
            .join(scan("part"), left_on="l_partkey", right_on="p_partkey")
            .select(promo_revenue=100.0 * pl.when(pl.col("p_type").str.starts_with("PROMO"))
                    .then(disc_price()).otherwise(0.0).sum() / disc_price().sum()))


def q15(scan, sf):
    revenue = (scan("lineitem").filter(pl.col("l_shipdate").is_between(d("1996-01-01"), d("1996-04-01"), closed="left"))
               .group_by("l_suppkey").agg(total_revenue=disc_price().sum()))
    return (scan("supplier").join(revenue, left_on="s_suppkey", right_on="l_suppkey")
            .filter(pl.col("total_revenue") == pl.col("total_revenue").max())
            .select("s_suppkey", "s_name", "s_address", "s_phone", "total_revenue")
            .sort("s_suppkey"))


def q16(scan, sf):
    complaints = scan("supplier").filter(pl.col("s_comment").str.contains("Customer.*Complaints"))
    parts = scan("part").filter((pl.col("p_brand") != "Brand#45")
                                & ~pl.col("p_type").str.starts_with("MEDIUM POLISHED")
                                & pl.col("p_size").is_in([49, 14, 23, 45, 19, 3, 36, 9]))
    return (scan("partsupp").join(complaints, left_on="ps_suppkey", right_on="s_suppkey", how="anti")
            .join(parts, left_on="ps_partkey", right_on="p_partkey")
            .group_by("p_brand", "p_type", "p_size").agg(supplier_cnt=pl.col("ps_suppkey").n_unique().cast(pl.Int64))
            .sort("supplier_cnt", "p_brand", "p_type", "p_size", descending=[True, False, False, False]))


def q17(scan, sf):
    parts = scan("part").filter((pl.col("p_brand") == "Brand#23") & (pl.col("p_container") == "MED BOX"))
    items = scan("lineitem").join(parts, left_on="l_partkey", right_on="p_partkey", how="semi")
    return (items.filter(pl.col("l_quantity") < 0.2 * pl.col("l_quantity").mean().over("l_partkey"))
            .select(avg_yearly=pl.col("l_extendedprice").sum() / 7.0))


def q18(scan, sf):
    big = (scan("lineitem").group_by("l_orderkey").agg(sum_qty=pl.col("l_quantity").sum())
           .filter(pl.col("sum_qty") > 300))
    return (scan("orders").join(big, left_on="o_orderkey", right_on="l_orderkey")
            .join(scan("customer"), left_on="o_custkey", right_on="c_custkey")
            .select("c_name", pl.col("o_custkey").alias("c_custkey"), "o_orderkey", "o_orderdate", "o_totalprice",
                    "sum_qty")
            .sort("o_totalprice", "o_orderdate", descending=[True, False])
            .head(100))


def q19(scan, sf):
    def kind(brand, containers, low_qty, max_size):
        return ((pl.col("p_brand") == brand) & pl.col("p_container").is_in(containers)
                & pl.col("l_quantity").is_between(low_qty, low_qty + 10) & pl.col("p_size").is_between(1, max_size))

    return (scan("lineitem").filter(pl.col("l_shipmode").is_in(["AIR", "AIR REG"])
                                    & (pl.col("l_shipinstruct") == "DELIVER IN PERSON"))
            .join(scan("part"), left_on="l_partkey", right_on="p_partkey")
            .filter(kind("Brand#12", ["SM CASE", "SM BOX", "SM PACK", "SM PKG"], 1, 5)
                    | kind("Brand#23", ["MED BAG", "MED BOX", "MED PKG", "MED PACK"], 10, 10)
                    | kind("Brand#34", ["LG CASE", "LG BOX", "LG PACK", "LG PKG"], 20, 15))
            .select(revenue=disc_price().sum()))


def q20(scan, sf):
    forest = scan("part").filter(pl.col("p_name").str.starts_with("forest"))
    shipped = (scan("lineitem").filter(pl.col("l_shipdate").is_between(d("1994-01-01"), d("1995-01-01"), closed="left"))
               .group_by("l_partkey", "l_suppkey").agg(sum_qty=pl.col("l_quantity").sum()))
    excess = (scan("partsupp").join(forest, left_on="ps_partkey", right_on="p_partkey", how="semi")
              .join(shipped, left_on=["ps_partkey", "ps_suppkey"], right_on=["l_partkey", "l_suppkey"])
              .filter(pl.col("ps_availqty") > 0.5 * pl.col("sum_qty")))
    return (scan("supplier")
            .join(scan("nation").filter(pl.col("n_name") == "CANADA"), left_on="s_nationkey",
                  right_on="n_nationkey", how="semi")
            .join(excess, left_on="s_suppkey", right_on="ps_suppkey", how="semi")
            .select("s_name", "s_address")
            .sort("s_name"))


def q21(scan, sf):
    items = scan("lineitem").select("l_orderkey", "l_suppkey", late=pl.col("l_receiptdate") > pl.col("l_commitdate"))
    # Per order: how many suppliers it has, and how many of them delivered late.
    per_order = (items.group_by("l_orderkey")
                 .agg(suppliers=pl.col("l_suppkey").n_unique(),
                      late_suppliers=pl.col("l_suppkey").filter(pl.col("late")).n_unique()))
    saudi = (scan("supplier").join(scan("nation").filter(pl.col("n_name") == "SAUDI ARABIA"),
                                   left_on="s_nationkey", right_on="n_nationkey", how="semi"))
    failed = scan("orders").filter(pl.col("o_orderstatus") == "F")
    return (items.filter(pl.col("late"))
            .join(saudi, left_on="l_suppkey", right_on="s_suppkey")
            .join(failed, left_on="l_orderkey", right_on="o_orderkey", how="semi")
            .join(per_order.filter((pl.col("suppliers") > 1) & (pl.col("late_suppliers") == 1)),
                  on="l_orderkey", how="semi")
            .group_by("s_name").agg(numwait=pl.len())
            .sort("numwait", "s_name", descending=[True, False])
            .head(100))


def q22(scan, sf):
    codes = ["13", "31", "23", "29", "30", "18", "17"]
    customers = (scan("customer").with_columns(cntrycode=pl.col("c_phone").str.slice(0, 2))
                 .filter(pl.col("cntrycode").is_in(codes)))
    average = customers.filter(pl.col("c_acctbal") > 0.0).select(avg_acctbal=pl.col("c_acctbal").mean())
    return (customers.join(scan("orders"), left_on="c_custkey", right_on="o_custkey", how="anti")
            .join(average, how="cross")
            .filter(pl.col("c_acctbal") > pl.col("avg_acctbal"))
            .group_by("cntrycode").agg(numcust=pl.len(), totacctbal=pl.col("c_acctbal").sum())
            .sort("cntrycode"))


QUERIES: dict[int, Callable[[Scan, float], pl.LazyFrame]] = {n: globals()[f"q{n}"] for n in range(1, 23)}
