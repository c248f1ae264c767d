// NexmarkQueries: Nexmark q0-q3 as Flink DataStream pipelines over in-job generated events
// (the others: NexmarkEventTimeQueries).
package sabot.nexmark.flink;

import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.streaming.api.functions.sink.RichSinkFunction;
import org.apache.flink.util.Collector;

/** Each query reads its tables the way Sabot's bench does: one source per table, yielding
 *  the events of that kind among the event numbers [0, events). env.fromSequence counts the
 *  events of the kind (0 .. count-1, mapped onto their event numbers) and splits that range
 *  into disjoint ranges, one set per source subtask, so generation is parallel like Sabot's
 *  splits. Every query ends in a counting sink (rows out, as the accumulator
 *  ROWS), the equivalent of Sabot's count sink. */
public final class NexmarkQueries {
  public static final String ROWS = "rows";

  private NexmarkQueries() {}

  /** Where q10's job writes (one directory per process; the bench empties it after each run). */
  static java.nio.file.Path q10Output() {
    return java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "nexmark-flink-q10-" + ProcessHandle.current().pid());
  }

  public static void build(String query, StreamExecutionEnvironment env, long events, long seed) {
    NexmarkGenerator gen = new NexmarkGenerator(seed);
    switch (query) {
      case "q0" -> bids(env, events, gen).addSink(new CountingSink<>()).name("count");
      case "q1" -> bids(env, events, gen).map(new ToEuros()).addSink(new CountingSink<>()).name("count");
      case "q2" -> bids(env, events, gen).filter(new SomeAuctions()).map(new AuctionPrice())
          .addSink(new CountingSink<>()).name("count");
      case "q3" -> {
        DataStream<Auction> auctions = numbers(env, NexmarkGenerator.Kind.AUCTION, events)
            .map(new AuctionsOf(gen)).name("auctions").filter(new CategoryTen());
        DataStream<Person> sellers = numbers(env, NexmarkGenerator.Kind.PERSON, events)
            .map(new PeopleOf(gen)).name("people").filter(new LocalStates());
        auctions.connect(sellers).keyBy(new BySeller(), new ById()).process(new SellerJoin())
            .addSink(new CountingSink<>()).name("count");
      }
      case "q10" -> bids(env, events, gen).addSink(new PartitionedCsvSink(q10Output().toString())).name("files");
      default -> {
        if (!NexmarkEventTimeQueries.build(query, env, events, gen)) {
          throw new IllegalArgumentException("unknown query '" + query + "' (q0-q22)");
        }
      }
    }
  }

  static DataStream<Bid> bids(StreamExecutionEnvironment env, long events, NexmarkGenerator gen) {
    return numbers(env, NexmarkGenerator.Kind.BID, events).map(new BidsOf(gen)).name("bids");
  }

  /** The event numbers of this kind among [0, events), as indexes k of that kind. */
  static DataStream<Long> numbers(StreamExecutionEnvironment env, NexmarkGenerator.Kind kind, long events) {
    return env.fromSequence(0, NexmarkGenerator.count(kind, events) - 1);
  }

  // Generators: the k-th event of a kind.

  static final class BidsOf implements MapFunction<Long, Bid> {
    private final NexmarkGenerator gen;
    BidsOf(NexmarkGenerator gen) { this.gen = gen; }
    @Override public Bid map(Long k) {
      return gen.bid(NexmarkGenerator.eventNumber(NexmarkGenerator.Kind.BID, k));
    }
  }

  static final class AuctionsOf implements MapFunction<Long, Auction> {
    private final NexmarkGenerator gen;
    AuctionsOf(NexmarkGenerator gen) { this.gen = gen; }
    @Override public Auction map(Long k) {
      return gen.auction(NexmarkGenerator.eventNumber(NexmarkGenerator.Kind.AUCTION, k));
    }
  }

  static final class PeopleOf implements MapFunction<Long, Person> {
    private final NexmarkGenerator gen;
    PeopleOf(NexmarkGenerator gen) { this.gen = gen; }
    @Override public Person map(Long k) {
      return gen.person(NexmarkGenerator.eventNumber(NexmarkGenerator.Kind.PERSON, k));
    }
  }

  // q1: SELECT auction, bidder, price * 0.908 AS price, date_time FROM bid

  public static class EuroBid {
    public long auction;
    public long bidder;
    public double price;
    public long dateTime;
    public EuroBid() {}
  }

  static final class ToEuros implements MapFunction<Bid, EuroBid> {
    @Override public EuroBid map(Bid b) {
      EuroBid e = new EuroBid();
      e.auction = b.auction;
      e.bidder = b.bidder;
      e.price = b.price * 0.908;
      e.dateTime = b.dateTime;
      return e;
    }
  }

  // q2: SELECT auction, price FROM bid WHERE auction % 123 = 0

  public static class AuctionPriceRow {
    public long auction;
    public long price;
    public AuctionPriceRow() {}
  }

  static final class SomeAuctions implements FilterFunction<Bid> {
    @Override public boolean filter(Bid b) { return b.auction % 123 == 0; }
  }

  static final class AuctionPrice implements MapFunction<Bid, AuctionPriceRow> {
    @Override public AuctionPriceRow map(Bid b) {
      AuctionPriceRow r = new AuctionPriceRow();
      r.auction = b.auction;
      r.price = b.price;
      return r;
    }
  }

  // q3: SELECT p.name, p.city, p.state, a.id FROM auction a JOIN person p ON a.seller = p.id
  //     WHERE a.category = 10 AND p.state IN ('OR', 'ID', 'CA')

  public static class SellerRow {
    public String name;
    public String city;
    public String state;
    public long id;
    public SellerRow() {}
  }

  static final class CategoryTen implements FilterFunction<Auction> {
    @Override public boolean filter(Auction a) { return a.category == 10; }
  }

  static final class LocalStates implements FilterFunction<Person> {
    @Override public boolean filter(Person p) {
      return p.state.equals("OR") || p.state.equals("ID") || p.state.equals("CA");
    }
  }

  static final class BySeller implements KeySelector<Auction, Long> {
    @Override public Long getKey(Auction a) { return a.seller; }
  }

  static final class ById implements KeySelector<Person, Long> {
    @Override public Long getKey(Person p) { return p.id; }
  }

  /** The streaming inner join keyed by person id. Subtasks generate their ranges
   *  independently, so an auction may reach its key before its seller: it waits in keyed
   *  state until the person comes. A person id is unique, so the person side keeps one value
   *  per key (what a keyed DataStream join of a table with its dimension does; Flink SQL's
   *  regular join would keep both sides as lists). */
  static final class SellerJoin extends KeyedCoProcessFunction<Long, Auction, Person, SellerRow> {
    private transient ValueState<Person> seller;
    private transient ListState<Auction> waiting;

    @Override public void open(Configuration parameters) {
      seller = getRuntimeContext().getState(new ValueStateDescriptor<>("seller", Person.class));
      waiting = getRuntimeContext().getListState(new ListStateDescriptor<>("waiting", Auction.class));
    }

    @Override public void processElement1(Auction a, Context ctx, Collector<SellerRow> out) throws Exception {
      Person p = seller.value();
      if (p != null) out.collect(row(p, a));
      else waiting.add(a);
    }

    @Override public void processElement2(Person p, Context ctx, Collector<SellerRow> out) throws Exception {
      seller.update(p);
      Iterable<Auction> early = waiting.get();
      if (early != null) {
        for (Auction a : early) out.collect(row(p, a));
        waiting.clear();
      }
    }

    private static SellerRow row(Person p, Auction a) {
      SellerRow r = new SellerRow();
      r.name = p.name;
      r.city = p.city;
      r.state = p.state;
      r.id = a.id;
      return r;
    }
  }

  /** Drops its input and counts it; the counts of all subtasks are summed in the job result. */
  static final class CountingSink<T> extends RichSinkFunction<T> {
    private final LongCounter rows = new LongCounter();

    @Override public void open(Configuration parameters) {
      getRuntimeContext().addAccumulator(ROWS, rows);
    }

    @Override public void invoke(T value, Context context) {
      rows.add(1);
    }
  }
}
