"""The Nexmark queries with Sabot's Python API, one function per query (``qN(src) -> Stream``),
written as a user would from the benchmark's definitions (Apache Beam / Flink Nexmark suites).

``src(table)`` gives one table of a generated event stream (``sabot.nexmark(table, ...)``:
event time ``date_time`` with watermarks). Windows are event-time windows; joins over
auctions and their bids are interval joins (a bid counts while its auction is open, and
auctions close 10-30 s after they open), so their state is released as watermarks pass.

q6 keeps per seller its last 10 closing prices in a rows window (``over(by=, rows=)``, SQL's
OVER ... ROWS BETWEEN 9 PRECEDING AND CURRENT ROW). q10 writes every bid to Parquet files, one directory per minute of event time.
q12 uses event time where the definition asks for processing time, so its answer is
deterministic.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Callable

import pyarrow as pa

import sabot
from sabot import agg
from sabot.expr import call, col, lit

Source = Callable[[str], sabot.Stream]

TEN_SECONDS = timedelta(seconds=10)
# An auction is open 10 to 30 s after it is created (the generator's model).
MAX_AUCTION_LIFE = timedelta(seconds=30)
# q13's side input: a bounded table keyed by auction id modulo its size.
SIDE_INPUT_KEYS = 10_000


def q0(src: Source) -> sabot.Stream:
    """Pass-through of bids."""
    return src("bid")


def q1(src: Source) -> sabot.Stream:
    """Bid prices in euros."""
    return src("bid").select("auction", "bidder", price=col("price") * 0.908, date_time=col("date_time"))


def q2(src: Source) -> sabot.Stream:
    """Bids on a few auctions."""
    return src("bid").filter(call("modulo", col("auction"), 123) == 0).select("auction", "price")


def q3(src: Source) -> sabot.Stream:
    """Local item suggestion: auctions of category 10 by sellers in OR, ID or CA."""
    sellers = src("person").filter(col("state").is_in(["OR", "ID", "CA"]))
    return (src("auction").filter(col("category") == 10)
            .join(sellers, left_on="seller", right_on="id")
            .select("name", "city", "state", "id"))


def bids_while_open(auctions: sabot.Stream, bids: sabot.Stream) -> sabot.Stream:
    """Each auction with the bids it received while open: auction columns, then the bid's
    (bid's date_time and extra as date_time_right, extra_right)."""
    return (auctions.interval_join(bids, left_on="id", right_on="auction", left_time="date_time",
                                   lower=timedelta(0), upper=MAX_AUCTION_LIFE)
            .filter(col("date_time_right") <= col("expires")))


def q4(src: Source) -> sabot.Stream:
    """Average closing price per category: the highest bid of each auction while open."""
    auctions = src("auction").select("id", "category", "date_time", "expires")
    return (bids_while_open(auctions, src("bid").select("auction", "price", "date_time"))
            .group_by("id", "category").agg(final=agg.max("price"))
            .group_by("category").agg(avg_final=agg.mean("final")))


def q5(src: Source) -> sabot.Stream:
    """Hot items: in each sliding window (10 s every 2 s), the auctions with the most bids
    (all of them on a tie: RANK() = 1)."""
    return (src("bid").window("date_time", TEN_SECONDS, slide=timedelta(seconds=2), by="auction")
            .agg(num=agg.count())
            .top_k(1, "num", descending=True, per="window_start", with_ties=True)
            .select("auction", "num", "window_start", "window_end"))


def q6(src: Source) -> sabot.Stream:
    """Average selling price per seller: for each closed auction (q9's winning bid), the mean
    of its seller's last 10 closing prices (this one included), in closing order (expires,
    then id): an OVER window of the last 10 rows per seller."""
    return (q9(src).select("seller", "id", "expires", "price").sort("expires", "id")
            .over(by="seller", rows=10).agg(avg_price=agg.mean("price")))


def q7(src: Source) -> sabot.Stream:
    """Highest bid: the bids at each 10 s window's highest price (all of them on a tie)."""
    return (src("bid")
            .with_columns(window_start=call("floor_temporal", col("date_time"), multiple=10, unit="second"))
            .top_k(1, "price", descending=True, per="window_start", with_ties=True)
            .select("auction", "price", "bidder", "date_time", "extra"))


def q8(src: Source) -> sabot.Stream:
    """New users: people who opened an auction in the 10 s window they registered in."""
    people = src("person").window("date_time", TEN_SECONDS, by=["id", "name"]).agg(n=agg.count())
    sellers = src("auction").window("date_time", TEN_SECONDS, by="seller").agg(n=agg.count())
    return (people.join(sellers, left_on=["window_start", "id"], right_on=["window_start", "seller"])
            .select("id", "name", "window_start"))


def q9(src: Source) -> sabot.Stream:
    """Winning bids: each auction's highest valid bid at or above the reserve (earliest
    wins a tie), with the auction."""
    return (bids_while_open(src("auction"), src("bid")).filter(col("price") >= col("reserve"))
            .top_k(1, "price", "date_time_right", descending=[True, False], per="id"))


def q10(src: Source) -> sabot.Stream:
    """Log to file system: every bid with its day (dt) and minute (hm) of event time, the
    partition columns of the files ``write_q10`` writes. (Casts, not per-row strftime: the
    directory names are formatted once per partition by the sink.)"""
    minute = call("floor_temporal", col("date_time"), multiple=1, unit="minute")
    return src("bid").select("auction", "bidder", "price", "date_time", "extra",
                             dt=col("date_time").cast("date32"), hm=minute.cast("time32[s]"))


def write_q10(stream: sabot.Stream, path: str) -> int:
    """q10's sink: CSV files, one per minute (<path>/dt=2023-11-14/hm=22:13:00/part-0.csv),
    the whole directory renamed into place when the job succeeds. Returns the rows written."""
    return stream.write_csv(path, partition_by=["dt", "hm"])


# The queries whose output goes to files rather than a count (the bench and the tests
# run them through these writers).
WRITERS: dict[str, Callable[[sabot.Stream, str], int]] = {"q10": write_q10}


def q11(src: Source) -> sabot.Stream:
    """User sessions: bids per bidder in sessions closed by 10 s without a bid. (Sessions
    hold their rows until they close, so only the columns needed go in.)"""
    return (src("bid").select("bidder", "date_time")
            .session_window("date_time", TEN_SECONDS, by="bidder").agg(bid_count=agg.count()))


def q12(src: Source) -> sabot.Stream:
    """Bids per bidder per 10 s window (event time: the definition's processing time
    would make the answer depend on the run)."""
    return src("bid").window("date_time", TEN_SECONDS, by="bidder").agg(bid_count=agg.count())


def side_input() -> pa.Table:
    """q13's bounded side input: key -> value."""
    keys = pa.array(range(SIDE_INPUT_KEYS), pa.int64())
    return pa.table({"key": keys, "value": pa.compute.binary_join_element_wise("value-", keys.cast(pa.string()), "")})


def q13(src: Source) -> sabot.Stream:
    """Bounded side input join: each bid with the side value of its auction."""
    return (src("bid").with_columns(key=call("modulo", col("auction"), SIDE_INPUT_KEYS))
            .join(sabot.from_arrow(side_input(), name="side_input"), on="key")
            .select("auction", "bidder", "price", "date_time", "value"))


def count_char(extra: str) -> int:
    """q14's user function: how often 'c' occurs (compiled by Sabot's UDF path)."""
    return extra.count("c")


def q14(src: Source) -> sabot.Stream:
    """Calculation: bids in a price band, with the part of day and a UDF over extra."""
    hour = call("hour", col("date_time"))
    euros = col("price") * 0.908
    part_of_day = ((hour >= 8) & (hour <= 18)).if_else(
        "dayTime", ((hour <= 6) | (hour >= 20)).if_else("nightTime", "otherTime"))
    return (src("bid").filter((euros > 1_000_000) & (euros < 50_000_000))
            .select("auction", "bidder", price=euros, bid_time_type=part_of_day, date_time=col("date_time"),
                    extra=col("extra"), c_counts=count_char))


def daily_bid_stats() -> dict:
    """q15/q16's aggregates: bids, bidders and auctions, overall and per price rank."""
    rank1 = col("price") < 10_000
    rank2 = (col("price") >= 10_000) & (col("price") < 1_000_000)
    rank3 = col("price") >= 1_000_000
    out = {"total_bids": agg.count()}
    for i, rank in enumerate((rank1, rank2, rank3), 1):
        out[f"rank{i}_bids"] = agg.count(where=rank)
    out["total_bidders"] = agg.count_distinct("bidder")
    for i, rank in enumerate((rank1, rank2, rank3), 1):
        out[f"rank{i}_bidders"] = agg.count_distinct("bidder", where=rank)
    out["total_auctions"] = agg.count_distinct("auction")
    for i, rank in enumerate((rank1, rank2, rank3), 1):
        out[f"rank{i}_auctions"] = agg.count_distinct("auction", where=rank)
    return out


ONE_DAY = timedelta(days=1)


def q15(src: Source) -> sabot.Stream:
    """Bidding statistics per day."""
    return src("bid").window("date_time", ONE_DAY).agg(**daily_bid_stats())


def q16(src: Source) -> sabot.Stream:
    """Bidding statistics per channel and day, with the last minute (HH:MM) of the day seen:
    the latest bid's, formatted once per row out rather than once per bid."""
    return (src("bid").window("date_time", ONE_DAY, by="channel")
            .agg(last_bid=agg.max("date_time"), **daily_bid_stats())
            .with_columns(minute=call("strftime", col("last_bid"), format="%H:%M")))


def q17(src: Source) -> sabot.Stream:
    """Auction statistics per auction and day."""
    return (src("bid").window("date_time", ONE_DAY, by="auction")
            .agg(total_bids=agg.count(),
                 rank1_bids=agg.count(where=col("price") < 10_000),
                 rank2_bids=agg.count(where=(col("price") >= 10_000) & (col("price") < 1_000_000)),
                 rank3_bids=agg.count(where=col("price") >= 1_000_000),
                 min_price=agg.min("price"), max_price=agg.max("price"),
                 avg_price=agg.mean("price"), sum_price=agg.sum("price")))


def q18(src: Source) -> sabot.Stream:
    """Last bid of each bidder on each auction."""
    return src("bid").top_k(1, "date_time", descending=True, per=["bidder", "auction"])


def q19(src: Source) -> sabot.Stream:
    """The 10 highest bids of each auction (earlier bids first on ties)."""
    return src("bid").top_k(10, "price", descending=True, per="auction")


def q20(src: Source) -> sabot.Stream:
    """Bids expanded with their auction, for auctions of category 10."""
    return src("bid").join(src("auction").filter(col("category") == 10), left_on="auction", right_on="id")


KNOWN_CHANNELS = ["apple", "google", "facebook", "baidu"]  # their ids are 0, 1, 2, 3


def q21(src: Source) -> sabot.Stream:
    """Channel id: known channel names map to ids, others take the channel_id parameter of
    their URL; bids with neither are dropped."""
    known = call("index_in", call("utf8_lower", col("channel")), value_set=KNOWN_CHANNELS).cast("string")
    parameter = call("split_part", call("split_part", col("url"), "channel_id=", 2), "&", 1)
    from_url = (parameter != "").if_else(parameter, lit(None, "string"))
    return (src("bid").select("auction", "bidder", "price", "channel", channel_id=call("coalesce", known, from_url))
            .filter(col("channel_id").is_valid()))


def q22(src: Source) -> sabot.Stream:
    """URL split: the first three directories of each bid's URL (null where there is none)."""
    return src("bid").select("auction", "bidder", "price", "channel",
                             dir1=call("split_part", col("url"), "/", 4), dir2=call("split_part", col("url"), "/", 5),
                             dir3=call("split_part", col("url"), "/", 6))


QUERIES: dict[str, Callable[[Source], sabot.Stream]] = {
    name: fn for name, fn in sorted(globals().items(), key=lambda kv: (len(kv[0]), kv[0]))
    if name[0] == "q" and name[1:].isdigit()
}
# The queries with state that watermarks or the end of input release (windows, joins,
# per-group rankings): the bench reports their peak state.
STATEFUL = ["q3", "q4", "q5", "q7", "q8", "q9", "q11", "q12", "q13", "q15", "q16", "q17", "q18", "q19", "q20"]
