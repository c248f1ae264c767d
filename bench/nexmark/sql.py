"""The Nexmark queries of queries.py in DuckDB SQL over tables person, auction and bid (the
same generated events collected to Arrow): the reference answers of the tests. Each entry is
(SQL, key columns): the answer's columns are the ones the test compares, named as Sabot
names them, times as microseconds since the epoch; rows compare as sorted multisets."""
from __future__ import annotations

# Windows as integer starts: floor(t / size) * size, t in microseconds.
_T = "epoch_us(date_time)"

_RANKS = {1: "price < 10000", 2: "price >= 10000 AND price < 1000000", 3: "price >= 1000000"}


def _daily_stats() -> str:
    parts = ["count(*) AS total_bids"]
    parts += [f"count(*) FILTER (WHERE {c}) AS rank{i}_bids" for i, c in _RANKS.items()]
    parts += ["count(DISTINCT bidder) AS total_bidders"]
    parts += [f"count(DISTINCT bidder) FILTER (WHERE {c}) AS rank{i}_bidders" for i, c in _RANKS.items()]
    parts += ["count(DISTINCT auction) AS total_auctions"]
    parts += [f"count(DISTINCT auction) FILTER (WHERE {c}) AS rank{i}_auctions" for i, c in _RANKS.items()]
    return ", ".join(parts)


_DAY = f"{_T} // 86400000000 * 86400000000"
_OPEN_BIDS = """auction a JOIN bid b ON a.id = b.auction AND b.date_time BETWEEN a.date_time AND a.expires"""

QUERIES: dict[str, str] = {
    "q4": f"""SELECT category, avg(final) AS avg_final FROM (
                SELECT a.id, a.category, max(b.price) AS final FROM {_OPEN_BIDS} GROUP BY a.id, a.category)
              GROUP BY category""",
    "q5": f"""WITH w AS (SELECT auction, ({_T} // 2000000 - k) * 2000000 AS window_start
                         FROM bid, range(5) r(k)),
                   c AS (SELECT auction, window_start, count(*) AS num FROM w GROUP BY ALL),
                   m AS (SELECT window_start, max(num) AS max_num FROM c GROUP BY ALL)
              SELECT c.auction, c.num, c.window_start FROM c JOIN m
                ON c.window_start = m.window_start AND c.num = m.max_num""",
    "q6": f"""SELECT seller, id, epoch_us(expires) AS expires, price,
                     avg(price) OVER (PARTITION BY seller ORDER BY expires, id
                                      ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS avg_price FROM (
                SELECT a.id, a.seller, a.expires, b.price,
                       row_number() OVER (PARTITION BY a.id ORDER BY b.price DESC, b.date_time) AS rn
                FROM {_OPEN_BIDS} AND b.price >= a.reserve) WHERE rn = 1""",
    "q7": f"""WITH b AS (SELECT *, {_T} // 10000000 AS w FROM bid),
                   m AS (SELECT w, max(price) AS max_price FROM b GROUP BY w)
              SELECT b.auction, b.price, b.bidder, epoch_us(b.date_time) AS date_time, b.extra
              FROM b JOIN m ON b.w = m.w AND b.price = m.max_price""",
    "q8": f"""WITH p AS (SELECT DISTINCT id, name, {_T} // 10000000 * 10000000 AS window_start FROM person),
                   a AS (SELECT DISTINCT seller, {_T} // 10000000 * 10000000 AS window_start FROM auction)
              SELECT p.id, p.name, p.window_start FROM p JOIN a
                ON p.id = a.seller AND p.window_start = a.window_start""",
    "q9": f"""SELECT id, reserve, price, bidder, date_time_right FROM (
                SELECT a.id, a.reserve, b.price, b.bidder, epoch_us(b.date_time) AS date_time_right,
                       row_number() OVER (PARTITION BY a.id ORDER BY b.price DESC, b.date_time) AS rn
                FROM {_OPEN_BIDS} AND b.price >= a.reserve) WHERE rn = 1""",
    "q11": f"""WITH g AS (SELECT bidder, {_T} AS t,
                            CASE WHEN {_T} - lag({_T}) OVER (PARTITION BY bidder ORDER BY date_time) < 10000000
                                 THEN 0 ELSE 1 END AS starts FROM bid),
                    s AS (SELECT bidder, t, sum(starts) OVER (PARTITION BY bidder ORDER BY t
                                                              ROWS UNBOUNDED PRECEDING) AS session FROM g)
               SELECT bidder, count(*) AS bid_count, min(t) AS window_start, max(t) + 10000000 AS window_end
               FROM s GROUP BY bidder, session""",
    "q12": f"""SELECT bidder, {_T} // 10000000 * 10000000 AS window_start, count(*) AS bid_count
               FROM bid GROUP BY ALL""",
    "q13": """SELECT b.auction, b.bidder, b.price, epoch_us(b.date_time) AS date_time, s.value
              FROM bid b JOIN side_input s ON b.auction % 10000 = s.key""",
    "q14": """SELECT auction, bidder, price * 0.908::DOUBLE AS price,
                     CASE WHEN hour(date_time) BETWEEN 8 AND 18 THEN 'dayTime'
                          WHEN hour(date_time) <= 6 OR hour(date_time) >= 20 THEN 'nightTime'
                          ELSE 'otherTime' END AS bid_time_type,
                     epoch_us(date_time) AS date_time, length(extra) - length(replace(extra, 'c', '')) AS c_counts
              FROM bid WHERE price * 0.908::DOUBLE > 1000000 AND price * 0.908::DOUBLE < 50000000""",
    "q15": f"""SELECT {_DAY} AS window_start, {_daily_stats()} FROM bid GROUP BY 1""",
    "q16": f"""SELECT channel, {_DAY} AS window_start, max(strftime(date_time, '%H:%M')) AS minute, {_daily_stats()}
               FROM bid GROUP BY ALL""",
    "q17": f"""SELECT auction, {_DAY} AS window_start, count(*) AS total_bids,
                      count(*) FILTER (WHERE {_RANKS[1]}) AS rank1_bids,
                      count(*) FILTER (WHERE {_RANKS[2]}) AS rank2_bids,
                      count(*) FILTER (WHERE {_RANKS[3]}) AS rank3_bids,
                      min(price) AS min_price, max(price) AS max_price, avg(price) AS avg_price,
                      sum(price) AS sum_price
               FROM bid GROUP BY ALL""",
    "q18": f"""SELECT auction, bidder, price, {_T} AS date_time FROM (
                 SELECT *, row_number() OVER (PARTITION BY bidder, auction ORDER BY date_time DESC) AS rn FROM bid)
               WHERE rn = 1""",
    "q19": f"""SELECT auction, bidder, price, {_T} AS date_time FROM (
                 SELECT *, row_number() OVER (PARTITION BY auction ORDER BY price DESC, date_time) AS rn FROM bid)
               WHERE rn <= 10""",
    "q20": """SELECT b.auction, b.bidder, b.price, epoch_us(b.date_time) AS date_time, a.item_name, a.reserve,
                     a.category FROM bid b JOIN auction a ON b.auction = a.id WHERE a.category = 10""",
    "q21": """SELECT * FROM (SELECT auction, bidder, price, channel,
                     CASE lower(channel) WHEN 'apple' THEN '0' WHEN 'google' THEN '1' WHEN 'facebook' THEN '2'
                          WHEN 'baidu' THEN '3'
                          ELSE nullif(split_part(split_part(url, 'channel_id=', 2), '&', 1), '') END AS channel_id
              FROM bid) WHERE channel_id IS NOT NULL""",
    "q22": """SELECT auction, bidder, price, channel, split_part(url, '/', 4) AS dir1,
                     split_part(url, '/', 5) AS dir2, nullif(split_part(url, '/', 6), '') AS dir3 FROM bid""",
}
