// NexmarkEventTimeQueries: Nexmark q4-q22 (but q10) as Flink DataStream jobs, the same
// queries as bench/nexmark/queries.py, in event time with watermarks.
package sabot.nexmark.flink;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.CoGroupFunction;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.api.java.tuple.Tuple4;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.streaming.api.functions.co.ProcessJoinFunction;
import org.apache.flink.streaming.api.functions.source.RichParallelSourceFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.EventTimeSessionWindows;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/** Flink timestamps are the events' microseconds (Flink only compares them), so every
 *  duration below is in microseconds too, written as Duration.ofMillis(micros).
 *
 *  Event-time queries read interleaved sources: subtask i of P yields the events k = i,
 *  i + P, ... of a kind, so all subtasks advance through event time together and the
 *  watermark (their minimum) trails the data by little, as on a live stream. The stateless
 *  queries (q13, q14, q21, q22) read the fromSequence sources of q0-q2. Rows that a query
 *  finalizes when its input ends (per-group results of unwindowed aggregations) are emitted
 *  by an event-time timer at Long.MAX_VALUE, which the end of input's final watermark fires. */
final class NexmarkEventTimeQueries {
  static final long SECOND = 1_000_000;
  static final Duration TEN_SECONDS = micros(10 * SECOND);
  static final Duration ONE_DAY = micros(86_400 * SECOND);
  static final long MAX_AUCTION_LIFE = 30 * SECOND;
  static final int SIDE_INPUT_KEYS = 10_000;

  private NexmarkEventTimeQueries() {}

  static Duration micros(long us) { return Duration.ofMillis(us); }

  /** Builds the query; false when it is not one of these. */
  static boolean build(String query, StreamExecutionEnvironment env, long events, NexmarkGenerator gen) {
    DataStream<?> out;
    switch (query) {
      case "q4" -> out = openBids(env, events, gen)
          .keyBy(new ByAuctionId()).process(new ClosingPrice())
          .keyBy(new ByCategory()).process(new AverageAtEnd());
      case "q5" -> out = timedBids(env, events, gen).keyBy(new BidAuction())
          .window(SlidingEventTimeWindows.of(TEN_SECONDS, micros(2 * SECOND)))
          .aggregate(new CountBids(), new WithWindow())
          .keyBy(new ByWindowStart()).process(new MostBidsPerWindow());
      case "q6" -> out = openBids(env, events, gen).filter(new AtLeastReserve())
          .keyBy(new ByAuctionId()).process(new WinningBid())
          .keyBy(new BySeller()).process(new LastTenAverage());
      case "q7" -> out = timedBids(env, events, gen).keyBy(new TenSecondWindow())
          .window(TumblingEventTimeWindows.of(TEN_SECONDS)).aggregate(new HighestBids())
          .flatMap(new Flatten<Bid>()).returns(Bid.class);
      case "q8" -> out = timedPeople(env, events, gen).coGroup(timedAuctions(env, events, gen))
          .where(new PersonId()).equalTo(new AuctionSeller())
          .window(TumblingEventTimeWindows.of(TEN_SECONDS)).apply(new NewSellers());
      case "q9" -> out = openBids(env, events, gen).filter(new AtLeastReserve())
          .keyBy(new ByAuctionId()).process(new WinningBid());
      case "q11" -> out = timedBids(env, events, gen).keyBy(new Bidder())
          .window(EventTimeSessionWindows.withGap(TEN_SECONDS)).aggregate(new CountBids(), new WithWindow());
      case "q12" -> out = timedBids(env, events, gen).keyBy(new Bidder())
          .window(TumblingEventTimeWindows.of(TEN_SECONDS)).aggregate(new CountBids(), new WithWindow());
      case "q13" -> out = NexmarkQueries.bids(env, events, gen).map(new SideInputJoin());
      case "q14" -> out = NexmarkQueries.bids(env, events, gen).filter(new PriceBand()).map(new Calculation());
      case "q15" -> out = timedBids(env, events, gen).keyBy(new Day())
          .window(TumblingEventTimeWindows.of(ONE_DAY)).aggregate(new DailyStats());
      case "q16" -> out = timedBids(env, events, gen).keyBy(new ChannelDay())
          .window(TumblingEventTimeWindows.of(ONE_DAY)).aggregate(new DailyStats());
      case "q17" -> out = timedBids(env, events, gen).keyBy(new AuctionDay())
          .window(TumblingEventTimeWindows.of(ONE_DAY)).aggregate(new AuctionStats());
      case "q18" -> out = timedBids(env, events, gen).keyBy(new BidderAuction()).process(new LastBid());
      case "q19" -> out = timedBids(env, events, gen).keyBy(new BidAuction()).process(new TopBids());
      case "q20" -> out = timedBids(env, events, gen).keyBy(new BidAuction())
          .connect(timedAuctions(env, events, gen).filter(new CategoryTen()).keyBy(new ByIdOfAuction()))
          .process(new ExpandBids());
      case "q21" -> out = NexmarkQueries.bids(env, events, gen).flatMap(new ChannelId());
      case "q22" -> out = NexmarkQueries.bids(env, events, gen).map(new SplitUrl());
      default -> {
        return false;
      }
    }
    out.addSink(new NexmarkQueries.CountingSink<>()).name("count");
    return true;
  }

  // Sources with event time.

  /** The numbers k of one kind's events, subtask i taking i, i + P, i + 2P, ... */
  static final class Interleaved extends RichParallelSourceFunction<Long> {
    private final long count;
    private volatile boolean running = true;
    Interleaved(long count) { this.count = count; }
    @Override public void run(SourceContext<Long> ctx) {
      int p = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
      for (long k = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(); k < count && running; k += p) {
        ctx.collect(k);
      }
    }
    @Override public void cancel() { running = false; }
  }

  static DataStream<Long> interleaved(StreamExecutionEnvironment env, NexmarkGenerator.Kind kind, long events) {
    return env.addSource(new Interleaved(NexmarkGenerator.count(kind, events))).name(kind + " numbers");
  }

  static DataStream<Bid> timedBids(StreamExecutionEnvironment env, long events, NexmarkGenerator gen) {
    return interleaved(env, NexmarkGenerator.Kind.BID, events).map(new NexmarkQueries.BidsOf(gen)).name("bids")
        .assignTimestampsAndWatermarks(WatermarkStrategy.<Bid>forMonotonousTimestamps()
            .withTimestampAssigner((b, t) -> b.dateTime));
  }

  static DataStream<Auction> timedAuctions(StreamExecutionEnvironment env, long events, NexmarkGenerator gen) {
    return interleaved(env, NexmarkGenerator.Kind.AUCTION, events).map(new NexmarkQueries.AuctionsOf(gen))
        .name("auctions").assignTimestampsAndWatermarks(WatermarkStrategy.<Auction>forMonotonousTimestamps()
            .withTimestampAssigner((a, t) -> a.dateTime));
  }

  static DataStream<Person> timedPeople(StreamExecutionEnvironment env, long events, NexmarkGenerator gen) {
    return interleaved(env, NexmarkGenerator.Kind.PERSON, events).map(new NexmarkQueries.PeopleOf(gen))
        .name("people").assignTimestampsAndWatermarks(WatermarkStrategy.<Person>forMonotonousTimestamps()
            .withTimestampAssigner((p, t) -> p.dateTime));
  }

  // Keys.

  static final class BidAuction implements KeySelector<Bid, Long> {
    @Override public Long getKey(Bid b) { return b.auction; }
  }
  static final class Bidder implements KeySelector<Bid, Long> {
    @Override public Long getKey(Bid b) { return b.bidder; }
  }
  static final class BidderAuction implements KeySelector<Bid, Tuple2<Long, Long>> {
    @Override public Tuple2<Long, Long> getKey(Bid b) { return Tuple2.of(b.bidder, b.auction); }
  }
  static final class TenSecondWindow implements KeySelector<Bid, Long> {
    @Override public Long getKey(Bid b) { return Math.floorDiv(b.dateTime, 10 * SECOND); }
  }
  static final class Day implements KeySelector<Bid, Long> {
    @Override public Long getKey(Bid b) { return Math.floorDiv(b.dateTime, 86_400 * SECOND); }
  }
  static final class ChannelDay implements KeySelector<Bid, Tuple2<String, Long>> {
    @Override public Tuple2<String, Long> getKey(Bid b) {
      return Tuple2.of(b.channel, Math.floorDiv(b.dateTime, 86_400 * SECOND));
    }
  }
  static final class AuctionDay implements KeySelector<Bid, Tuple2<Long, Long>> {
    @Override public Tuple2<Long, Long> getKey(Bid b) {
      return Tuple2.of(b.auction, Math.floorDiv(b.dateTime, 86_400 * SECOND));
    }
  }
  static final class PersonId implements KeySelector<Person, Long> {
    @Override public Long getKey(Person p) { return p.id; }
  }
  static final class AuctionSeller implements KeySelector<Auction, Long> {
    @Override public Long getKey(Auction a) { return a.seller; }
  }
  static final class ByIdOfAuction implements KeySelector<Auction, Long> {
    @Override public Long getKey(Auction a) { return a.id; }
  }
  static final class ByAuctionId implements KeySelector<AuctionBid, Long> {
    @Override public Long getKey(AuctionBid r) { return r.auction.id; }
  }

  // q4, q9: each auction with the bids it received while open (an interval join).

  public static class AuctionBid {
    public Auction auction;
    public Bid bid;
    public AuctionBid() {}
  }

  static DataStream<AuctionBid> openBids(StreamExecutionEnvironment env, long events, NexmarkGenerator gen) {
    return timedAuctions(env, events, gen).keyBy(new ByIdOfAuction())
        .intervalJoin(timedBids(env, events, gen).keyBy(new BidAuction()))
        .between(Duration.ZERO, micros(MAX_AUCTION_LIFE))
        .process(new WhileOpen());
  }

  static final class WhileOpen extends ProcessJoinFunction<Auction, Bid, AuctionBid> {
    @Override public void processElement(Auction a, Bid b, Context ctx, Collector<AuctionBid> out) {
      if (b.dateTime > a.expires) return;
      AuctionBid r = new AuctionBid();
      r.auction = a;
      r.bid = b;
      out.collect(r);
    }
  }

  /** (auction id, category, closing price), emitted when the auction closes. */
  static final class ClosingPrice extends KeyedProcessFunction<Long, AuctionBid, Tuple3<Long, Long, Long>> {
    private transient ValueState<Tuple3<Long, Long, Long>> best;
    @Override public void open(Configuration parameters) {
      best = getRuntimeContext().getState(new ValueStateDescriptor<>("best",
          org.apache.flink.api.common.typeinfo.Types.TUPLE(org.apache.flink.api.common.typeinfo.Types.LONG,
              org.apache.flink.api.common.typeinfo.Types.LONG, org.apache.flink.api.common.typeinfo.Types.LONG)));
    }
    @Override public void processElement(AuctionBid r, Context ctx, Collector<Tuple3<Long, Long, Long>> out)
        throws Exception {
      Tuple3<Long, Long, Long> b = best.value();
      if (b == null) {
        ctx.timerService().registerEventTimeTimer(r.auction.expires);
        best.update(Tuple3.of(r.auction.id, r.auction.category, r.bid.price));
      } else if (r.bid.price > b.f2) {
        best.update(Tuple3.of(b.f0, b.f1, r.bid.price));
      }
    }
    @Override public void onTimer(long t, OnTimerContext ctx, Collector<Tuple3<Long, Long, Long>> out)
        throws Exception {
      out.collect(best.value());
      best.clear();
    }
  }

  static final class ByCategory implements KeySelector<Tuple3<Long, Long, Long>, Long> {
    @Override public Long getKey(Tuple3<Long, Long, Long> r) { return r.f1; }
  }

  /** (category, average closing price) once the input ends. */
  static final class AverageAtEnd extends KeyedProcessFunction<Long, Tuple3<Long, Long, Long>, Tuple2<Long, Double>> {
    private transient ValueState<Tuple2<Long, Long>> sumCount;
    @Override public void open(Configuration parameters) {
      sumCount = getRuntimeContext().getState(new ValueStateDescriptor<>("sum_count",
          org.apache.flink.api.common.typeinfo.Types.TUPLE(org.apache.flink.api.common.typeinfo.Types.LONG,
              org.apache.flink.api.common.typeinfo.Types.LONG)));
    }
    @Override public void processElement(Tuple3<Long, Long, Long> r, Context ctx, Collector<Tuple2<Long, Double>> out)
        throws Exception {
      Tuple2<Long, Long> s = sumCount.value();
      if (s == null) {
        ctx.timerService().registerEventTimeTimer(Long.MAX_VALUE);
        s = Tuple2.of(0L, 0L);
      }
      sumCount.update(Tuple2.of(s.f0 + r.f2, s.f1 + 1));
    }
    @Override public void onTimer(long t, OnTimerContext ctx, Collector<Tuple2<Long, Double>> out) throws Exception {
      Tuple2<Long, Long> s = sumCount.value();
      out.collect(Tuple2.of(ctx.getCurrentKey(), (double) s.f0 / s.f1));
    }
  }

  // q5, q11, q12: bids counted per key and window.

  static final class CountBids implements AggregateFunction<Bid, Long, Long> {
    @Override public Long createAccumulator() { return 0L; }
    @Override public Long add(Bid b, Long n) { return n + 1; }
    @Override public Long getResult(Long n) { return n; }
    @Override public Long merge(Long a, Long b) { return a + b; }
  }

  /** (key, count, window start, window end). */
  static final class WithWindow extends ProcessWindowFunction<Long, Tuple4<Long, Long, Long, Long>, Long, TimeWindow> {
    @Override public void process(Long key, Context ctx, Iterable<Long> counts,
                                  Collector<Tuple4<Long, Long, Long, Long>> out) {
      long n = counts.iterator().next();
      out.collect(Tuple4.of(key, n, ctx.window().getStart(), ctx.window().getEnd()));
    }
  }

  static final class ByWindowStart implements KeySelector<Tuple4<Long, Long, Long, Long>, Long> {
    @Override public Long getKey(Tuple4<Long, Long, Long, Long> r) { return r.f2; }
  }

  /** The auctions with the most bids of each window: the window's counts arrive before the
   *  watermark passes the window's last instant (their timestamp), which fires the timer. */
  static final class MostBidsPerWindow
      extends KeyedProcessFunction<Long, Tuple4<Long, Long, Long, Long>, Tuple4<Long, Long, Long, Long>> {
    private transient ListState<Tuple4<Long, Long, Long, Long>> leaders;
    private transient ValueState<Long> most;
    @Override public void open(Configuration parameters) {
      leaders = getRuntimeContext().getListState(new ListStateDescriptor<>("leaders",
          org.apache.flink.api.common.typeinfo.Types.TUPLE(org.apache.flink.api.common.typeinfo.Types.LONG,
              org.apache.flink.api.common.typeinfo.Types.LONG, org.apache.flink.api.common.typeinfo.Types.LONG,
              org.apache.flink.api.common.typeinfo.Types.LONG)));
      most = getRuntimeContext().getState(new ValueStateDescriptor<>("most", Long.class));
    }
    @Override public void processElement(Tuple4<Long, Long, Long, Long> r, Context ctx,
                                         Collector<Tuple4<Long, Long, Long, Long>> out) throws Exception {
      Long m = most.value();
      if (m == null) ctx.timerService().registerEventTimeTimer(r.f3 - 1);
      if (m == null || r.f1 > m) {
        most.update(r.f1);
        leaders.clear();
        leaders.add(r);
      } else if (r.f1.equals(m)) {
        leaders.add(r);
      }
    }
    @Override public void onTimer(long t, OnTimerContext ctx, Collector<Tuple4<Long, Long, Long, Long>> out)
        throws Exception {
      for (Tuple4<Long, Long, Long, Long> r : leaders.get()) out.collect(r);
      leaders.clear();
      most.clear();
    }
  }

  // q7: the bids at each window's highest price.

  static final class HighestBids implements AggregateFunction<Bid, List<Bid>, List<Bid>> {
    @Override public List<Bid> createAccumulator() { return new ArrayList<>(); }
    @Override public List<Bid> add(Bid b, List<Bid> best) {
      if (!best.isEmpty() && b.price < best.get(0).price) return best;
      if (!best.isEmpty() && b.price > best.get(0).price) best.clear();
      best.add(b);
      return best;
    }
    @Override public List<Bid> getResult(List<Bid> best) { return best; }
    @Override public List<Bid> merge(List<Bid> a, List<Bid> b) {
      for (Bid x : b) add(x, a);
      return a;
    }
  }

  static final class Flatten<T> implements FlatMapFunction<List<T>, T> {
    @Override public void flatMap(List<T> rows, Collector<T> out) { rows.forEach(out::collect); }
  }

  // q8: people who opened an auction in the window they registered in.

  static final class NewSellers implements CoGroupFunction<Person, Auction, Tuple3<Long, String, Long>> {
    @Override public void coGroup(Iterable<Person> people, Iterable<Auction> auctions,
                                  Collector<Tuple3<Long, String, Long>> out) {
      if (!auctions.iterator().hasNext()) return;
      for (Person p : people) out.collect(Tuple3.of(p.id, p.name, Math.floorDiv(p.dateTime, 10 * SECOND)));
    }
  }

  // q9: each auction's highest bid at or above the reserve, the earliest on a tie.

  static final class AtLeastReserve implements FilterFunction<AuctionBid> {
    @Override public boolean filter(AuctionBid r) { return r.bid.price >= r.auction.reserve; }
  }

  static final class WinningBid extends KeyedProcessFunction<Long, AuctionBid, AuctionBid> {
    private transient ValueState<AuctionBid> best;
    @Override public void open(Configuration parameters) {
      best = getRuntimeContext().getState(new ValueStateDescriptor<>("best", AuctionBid.class));
    }
    @Override public void processElement(AuctionBid r, Context ctx, Collector<AuctionBid> out) throws Exception {
      AuctionBid b = best.value();
      if (b == null) ctx.timerService().registerEventTimeTimer(r.auction.expires);
      if (b == null || r.bid.price > b.bid.price || (r.bid.price == b.bid.price && r.bid.dateTime < b.bid.dateTime)) {
        best.update(r);
      }
    }
    @Override public void onTimer(long t, OnTimerContext ctx, Collector<AuctionBid> out) throws Exception {
      out.collect(best.value());
      best.clear();
    }
  }

  // q6: per seller, the mean of its last 10 closing prices, one row per closed auction.

  static final class BySeller implements KeySelector<AuctionBid, Long> {
    @Override public Long getKey(AuctionBid r) { return r.auction.seller; }
  }

  /** (seller, auction id, mean of the seller's last 10 closing prices); the winning bids
   *  reach it in closing order (each one fires at its auction's expiry). */
  static final class LastTenAverage extends KeyedProcessFunction<Long, AuctionBid, Tuple3<Long, Long, Double>> {
    private transient ValueState<long[]> last;  // up to 10 prices, oldest first
    @Override public void open(Configuration parameters) {
      last = getRuntimeContext().getState(new ValueStateDescriptor<>("last", long[].class));
    }
    @Override public void processElement(AuctionBid r, Context ctx, Collector<Tuple3<Long, Long, Double>> out)
        throws Exception {
      long[] prices = last.value();
      long[] next;
      if (prices == null) {
        next = new long[] {r.bid.price};
      } else if (prices.length < 10) {
        next = java.util.Arrays.copyOf(prices, prices.length + 1);
        next[prices.length] = r.bid.price;
      } else {
        next = java.util.Arrays.copyOfRange(prices, 1, 11);
        next[9] = r.bid.price;
      }
      last.update(next);
      double sum = 0;
      for (long p : next) sum += p;
      out.collect(Tuple3.of(r.auction.seller, r.auction.id, sum / next.length));
    }
  }

  // q13: a bounded side input, loaded by every subtask.

  static final class SideInputJoin extends RichMapFunction<Bid, Tuple4<Long, Long, Long, String>> {
    private transient Map<Long, String> side;
    @Override public void open(Configuration parameters) {
      side = new HashMap<>();
      for (long k = 0; k < SIDE_INPUT_KEYS; k++) side.put(k, "value-" + k);
    }
    @Override public Tuple4<Long, Long, Long, String> map(Bid b) {
      return Tuple4.of(b.auction, b.bidder, b.price, side.get(b.auction % SIDE_INPUT_KEYS));
    }
  }

  // q14: a price band, the part of day, and a user function over extra.

  static final class PriceBand implements FilterFunction<Bid> {
    @Override public boolean filter(Bid b) {
      double euros = b.price * 0.908;
      return euros > 1_000_000 && euros < 50_000_000;
    }
  }

  public static class CalculatedBid {
    public long auction;
    public long bidder;
    public double price;
    public String bidTimeType;
    public long dateTime;
    public String extra;
    public long cCounts;
    public CalculatedBid() {}
  }

  static final class Calculation implements MapFunction<Bid, CalculatedBid> {
    @Override public CalculatedBid map(Bid b) {
      CalculatedBid r = new CalculatedBid();
      long hour = Math.floorMod(Math.floorDiv(b.dateTime, 3_600 * SECOND), 24L);
      r.auction = b.auction;
      r.bidder = b.bidder;
      r.price = b.price * 0.908;
      r.bidTimeType = hour >= 8 && hour <= 18 ? "dayTime" : hour <= 6 || hour >= 20 ? "nightTime" : "otherTime";
      r.dateTime = b.dateTime;
      r.extra = b.extra;
      r.cCounts = b.extra.chars().filter(c -> c == 'c').count();
      return r;
    }
  }

  // q15, q16: bids, bidders and auctions per day (and channel), overall and per price rank.

  static int rank(long price) { return price < 10_000 ? 1 : price < 1_000_000 ? 2 : 3; }

  public static class DailyAccumulator {
    public long[] bids = new long[4];  // [0]: all, [r]: rank r
    public List<Set<Long>> bidders = new ArrayList<>();
    public List<Set<Long>> auctions = new ArrayList<>();
    public long lastBid = Long.MIN_VALUE;
    public DailyAccumulator() {
      for (int i = 0; i < 4; i++) {
        bidders.add(new HashSet<>());
        auctions.add(new HashSet<>());
      }
    }
  }

  /** The day's counts: total, rank 1-3 bids, then bidders, then auctions; and the last HH:MM. */
  public static class DailyResult {
    public long[] counts;
    public String minute;
    public DailyResult() {}
  }

  static final class DailyStats implements AggregateFunction<Bid, DailyAccumulator, DailyResult> {
    @Override public DailyAccumulator createAccumulator() { return new DailyAccumulator(); }
    @Override public DailyAccumulator add(Bid b, DailyAccumulator acc) {
      int r = rank(b.price);
      acc.bids[0]++;
      acc.bids[r]++;
      acc.bidders.get(0).add(b.bidder);
      acc.bidders.get(r).add(b.bidder);
      acc.auctions.get(0).add(b.auction);
      acc.auctions.get(r).add(b.auction);
      acc.lastBid = Math.max(acc.lastBid, b.dateTime);
      return acc;
    }
    @Override public DailyResult getResult(DailyAccumulator acc) {
      DailyResult r = new DailyResult();
      r.counts = new long[12];
      for (int i = 0; i < 4; i++) {
        r.counts[i] = acc.bids[i];
        r.counts[4 + i] = acc.bidders.get(i).size();
        r.counts[8 + i] = acc.auctions.get(i).size();
      }
      long minuteOfDay = Math.floorMod(Math.floorDiv(acc.lastBid, 60 * SECOND), 1440L);
      r.minute = String.format("%02d:%02d", minuteOfDay / 60, minuteOfDay % 60);  // of the day's last bid
      return r;
    }
    @Override public DailyAccumulator merge(DailyAccumulator a, DailyAccumulator b) {
      for (int i = 0; i < 4; i++) {
        a.bids[i] += b.bids[i];
        a.bidders.get(i).addAll(b.bidders.get(i));
        a.auctions.get(i).addAll(b.auctions.get(i));
      }
      a.lastBid = Math.max(a.lastBid, b.lastBid);
      return a;
    }
  }

  // q17: per auction and day: bids per rank, min, max, average and sum of prices.

  static final class AuctionStats implements AggregateFunction<Bid, long[], Tuple4<Long, Long, Long, Double>> {
    @Override public long[] createAccumulator() { return new long[] {0, 0, 0, 0, Long.MAX_VALUE, Long.MIN_VALUE, 0}; }
    @Override public long[] add(Bid b, long[] acc) {
      acc[0]++;
      acc[rank(b.price)]++;
      acc[4] = Math.min(acc[4], b.price);
      acc[5] = Math.max(acc[5], b.price);
      acc[6] += b.price;
      return acc;
    }
    @Override public Tuple4<Long, Long, Long, Double> getResult(long[] acc) {
      return Tuple4.of(acc[0], acc[4], acc[5], (double) acc[6] / acc[0]);
    }
    @Override public long[] merge(long[] a, long[] b) {
      for (int i = 0; i < 4; i++) a[i] += b[i];
      a[4] = Math.min(a[4], b[4]);
      a[5] = Math.max(a[5], b[5]);
      a[6] += b[6];
      return a;
    }
  }

  // q18: the last bid of each bidder on each auction, once the input ends.

  static final class LastBid extends KeyedProcessFunction<Tuple2<Long, Long>, Bid, Bid> {
    private transient ValueState<Bid> last;
    @Override public void open(Configuration parameters) {
      last = getRuntimeContext().getState(new ValueStateDescriptor<>("last", Bid.class));
    }
    @Override public void processElement(Bid b, Context ctx, Collector<Bid> out) throws Exception {
      Bid l = last.value();
      if (l == null) ctx.timerService().registerEventTimeTimer(Long.MAX_VALUE);
      if (l == null || b.dateTime >= l.dateTime) last.update(b);
    }
    @Override public void onTimer(long t, OnTimerContext ctx, Collector<Bid> out) throws Exception {
      out.collect(last.value());
    }
  }

  // q19: the 10 highest bids of each auction, once the input ends.

  static final class TopBids extends KeyedProcessFunction<Long, Bid, Bid> {
    private transient ValueState<List<Bid>> top;
    @Override public void open(Configuration parameters) {
      top = getRuntimeContext().getState(new ValueStateDescriptor<>("top",
          org.apache.flink.api.common.typeinfo.Types.LIST(org.apache.flink.api.common.typeinfo.Types.POJO(Bid.class))));
    }
    @Override public void processElement(Bid b, Context ctx, Collector<Bid> out) throws Exception {
      List<Bid> t = top.value();
      if (t == null) {
        ctx.timerService().registerEventTimeTimer(Long.MAX_VALUE);
        t = new ArrayList<>(10);
      }
      // Sorted by price descending, then time: insert after equal prices (earlier first).
      int at = t.size();
      while (at > 0 && (t.get(at - 1).price < b.price
          || (t.get(at - 1).price == b.price && t.get(at - 1).dateTime > b.dateTime))) {
        at--;
      }
      if (at < 10) {
        t.add(at, b);
        if (t.size() > 10) t.remove(10);
        top.update(t);
      }
    }
    @Override public void onTimer(long ts, OnTimerContext ctx, Collector<Bid> out) throws Exception {
      for (Bid b : top.value()) out.collect(b);
    }
  }

  // q20: bids with their auction, for auctions of category 10 (a regular join).

  static final class CategoryTen implements FilterFunction<Auction> {
    @Override public boolean filter(Auction a) { return a.category == 10; }
  }

  /** An auction is created before any bid on it, so once the watermark passes a waiting
   *  bid's time its auction has arrived or is not of category 10: the bid is dropped then. */
  static final class ExpandBids extends KeyedCoProcessFunction<Long, Bid, Auction, AuctionBid> {
    private transient ValueState<Auction> auction;
    private transient ListState<Bid> waiting;
    @Override public void open(Configuration parameters) {
      auction = getRuntimeContext().getState(new ValueStateDescriptor<>("auction", Auction.class));
      waiting = getRuntimeContext().getListState(new ListStateDescriptor<>("waiting", Bid.class));
    }
    @Override public void processElement1(Bid b, Context ctx, Collector<AuctionBid> out) throws Exception {
      Auction a = auction.value();
      if (a != null) {
        out.collect(pair(a, b));
      } else {
        waiting.add(b);
        ctx.timerService().registerEventTimeTimer(b.dateTime);
      }
    }
    @Override public void processElement2(Auction a, Context ctx, Collector<AuctionBid> out) throws Exception {
      auction.update(a);
      for (Bid b : waiting.get()) out.collect(pair(a, b));
      waiting.clear();
    }
    @Override public void onTimer(long t, OnTimerContext ctx, Collector<AuctionBid> out) throws Exception {
      if (auction.value() == null) waiting.clear();
    }
    private static AuctionBid pair(Auction a, Bid b) {
      AuctionBid r = new AuctionBid();
      r.auction = a;
      r.bid = b;
      return r;
    }
  }

  // q21: the channel id, from the channel's name or else from the URL's channel_id parameter.

  static final class ChannelId implements FlatMapFunction<Bid, Tuple4<Long, Long, Long, String>> {
    @Override public void flatMap(Bid b, Collector<Tuple4<Long, Long, Long, String>> out) {
      String id = switch (b.channel.toLowerCase()) {
        case "apple" -> "0";
        case "google" -> "1";
        case "facebook" -> "2";
        case "baidu" -> "3";
        default -> {
          int at = b.url.indexOf("channel_id=");
          if (at < 0) yield null;
          int end = b.url.indexOf('&', at + 11);
          String parameter = end < 0 ? b.url.substring(at + 11) : b.url.substring(at + 11, end);
          yield parameter.isEmpty() ? null : parameter;
        }
      };
      if (id != null) out.collect(Tuple4.of(b.auction, b.bidder, b.price, id));
    }
  }

  // q22: the first three directories of the URL.

  public static class UrlParts {
    public long auction;
    public long bidder;
    public long price;
    public String channel;
    public String dir1;
    public String dir2;
    public String dir3;
    public UrlParts() {}
  }

  static final class SplitUrl implements MapFunction<Bid, UrlParts> {
    @Override public UrlParts map(Bid b) {
      String[] parts = b.url.split("/", -1);
      UrlParts r = new UrlParts();
      r.auction = b.auction;
      r.bidder = b.bidder;
      r.price = b.price;
      r.channel = b.channel;
      r.dir1 = parts.length > 3 ? parts[3] : null;
      r.dir2 = parts.length > 4 ? parts[4] : null;
      r.dir3 = parts.length > 5 ? parts[5] : null;
      return r;
    }
  }
}
