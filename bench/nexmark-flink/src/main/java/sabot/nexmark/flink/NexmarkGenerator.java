// NexmarkGenerator: Sabot's Nexmark events (cpp/sabot/io/nexmark_source.cc) ported to Java.
package sabot.nexmark.flink;

import java.io.Serializable;

/** Every event is a pure function of (seed, event number n), exactly as in Sabot: the kind by
 *  n % 50, the time by n, the ids by the model, the values by StatelessRandom.hash(seed, n,
 *  stream). Keep every constant, stream number and formula in step with the C++ source;
 *  NexmarkFlinkBench's checksum and dump modes and bench/test_nexmark_flink_identity.py
 *  check that both produce the same rows. */
public final class NexmarkGenerator implements Serializable {
  private static final long serialVersionUID = 1L;

  public enum Kind { PERSON, AUCTION, BID }

  // The benchmark's model (its published defaults), as in nexmark_source.cc.
  static final long PERSON_PROPORTION = 1;
  static final long AUCTION_PROPORTION = 3;
  static final long TOTAL_PROPORTION = 50;
  static final long FIRST_PERSON_ID = 1000;
  static final long FIRST_AUCTION_ID = 1000;
  static final long FIRST_CATEGORY_ID = 10;
  static final long NUM_CATEGORIES = 5;
  static final long ACTIVE_PEOPLE = 1000;
  static final long IN_FLIGHT_AUCTIONS = 100;
  static final long HOT_AUCTION_RATIO = 2;
  static final long HOT_SELLER_RATIO = 4;
  static final long HOT_BIDDER_RATIO = 4;

  static final String[] CHANNELS = {"Google", "Facebook", "Baidu", "Apple"};
  static final String[] URLS = {
    "https://www.nexmark.com/google/item.htm?query=1", "https://www.nexmark.com/facebook/item.htm?query=1",
    "https://www.nexmark.com/baidu/item.htm?query=1", "https://www.nexmark.com/apple/item.htm?query=1"};
  static final String[] FIRST_NAMES = {"Peter", "Paul", "Luke", "John", "Saul", "Vicky"};
  static final String[] LAST_NAMES = {"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton"};
  static final String[] CITIES = {"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend"};
  static final String[] STATES = {"AZ", "CA", "ID", "OR", "WA", "WY"};

  // One hash stream per column (Sabot's enum Stream).
  static final long HOT = 1, PICK = 2, PRICE = 3, RESERVE = 4, CATEGORY = 5, TEXT = 6, EXPIRY = 7;

  // Sabot's NexmarkOptions defaults.
  public static final long DEFAULT_EVENTS_PER_SECOND = 10_000;
  public static final long DEFAULT_START_TIME_US = 1_700_000_000_000_000L;

  private final long seed;
  private final long eventsPerSecond;
  private final long startTimeUs;

  public NexmarkGenerator(long seed) {
    this(seed, DEFAULT_EVENTS_PER_SECOND, DEFAULT_START_TIME_US);
  }

  public NexmarkGenerator(long seed, long eventsPerSecond, long startTimeUs) {
    this.seed = seed;
    this.eventsPerSecond = Math.max(1, eventsPerSecond);
    this.startTimeUs = startTimeUs;
  }

  public static Kind kindOf(long event) {
    long offset = event % TOTAL_PROPORTION;
    if (offset < PERSON_PROPORTION) return Kind.PERSON;
    if (offset < PERSON_PROPORTION + AUCTION_PROPORTION) return Kind.AUCTION;
    return Kind.BID;
  }

  private static long proportion(Kind kind) {
    return switch (kind) {
      case PERSON -> PERSON_PROPORTION;
      case AUCTION -> AUCTION_PROPORTION;
      case BID -> TOTAL_PROPORTION - PERSON_PROPORTION - AUCTION_PROPORTION;
    };
  }

  // Where events of this kind start within every run of TOTAL_PROPORTION event numbers.
  private static long firstOffset(Kind kind) {
    return switch (kind) {
      case PERSON -> 0;
      case AUCTION -> PERSON_PROPORTION;
      case BID -> PERSON_PROPORTION + AUCTION_PROPORTION;
    };
  }

  /** How many of the event numbers [0, events) are of this kind. */
  public static long count(Kind kind, long events) {
    long partial = Math.min(Math.max(events % TOTAL_PROPORTION - firstOffset(kind), 0), proportion(kind));
    return events / TOTAL_PROPORTION * proportion(kind) + partial;
  }

  /** The event number of the k-th (0-based) event of this kind: sources enumerate only the
   *  numbers of their kind instead of passing every number on and dropping most of them. */
  public static long eventNumber(Kind kind, long k) {
    long per = proportion(kind);
    return k / per * TOTAL_PROPORTION + firstOffset(kind) + k % per;
  }

  /** The 0-based id of the last person created at or before `event`. */
  static long lastPerson(long event) {
    long epoch = event / TOTAL_PROPORTION;
    long offset = Math.min(event % TOTAL_PROPORTION, PERSON_PROPORTION - 1);
    return epoch * PERSON_PROPORTION + offset;
  }

  /** The 0-based id of the last auction created at or before `event` (-1 before the first). */
  static long lastAuction(long event) {
    long epoch = event / TOTAL_PROPORTION;
    long offset = event % TOTAL_PROPORTION;
    if (offset < PERSON_PROPORTION) {
      --epoch;
      offset = AUCTION_PROPORTION - 1;
    } else if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) {
      offset = AUCTION_PROPORTION - 1;
    } else {
      offset -= PERSON_PROPORTION;
    }
    return epoch * AUCTION_PROPORTION + offset;
  }

  public long timeOf(long event) {
    return startTimeUs + event * 1_000_000L / eventsPerSecond;
  }

  private long rand(long n, long stream, long below) {
    return StatelessRandom.below(StatelessRandom.hash(seed, n, stream), below);
  }

  // Prices spread over 6 orders of magnitude, in cents. StrictMath (fdlibm) so every JVM and
  // JIT tier rounds alike; checksum mode compares the sums with Sabot's over millions of rows.
  private long price(long n, long stream) {
    double u = StatelessRandom.unit(StatelessRandom.hash(seed, n, stream));
    return Math.round(StrictMath.pow(10.0, u * 6.0) * 100.0);
  }

  private long somePerson(long n) {
    long last = lastPerson(n);
    long active = Math.min(last + 1, ACTIVE_PEOPLE);
    return last + 1 - active + rand(n, PICK, active);
  }

  private long someAuction(long n) {
    long last = Math.max(lastAuction(n), 0);
    long first = Math.max(last - IN_FLIGHT_AUCTIONS + 1, 0);
    return first + rand(n, PICK, last - first + 1);
  }

  /** The person of event n (kindOf(n) must be PERSON). */
  public Person person(long n) {
    Person p = new Person();
    String first = FIRST_NAMES[(int) rand(n, TEXT, FIRST_NAMES.length)];
    String last = LAST_NAMES[(int) rand(n, PICK, LAST_NAMES.length)];
    p.id = lastPerson(n) + FIRST_PERSON_ID;
    p.name = first + " " + last;
    p.emailAddress = first + "." + last + "@nexmark.com";
    p.creditCard = Long.toString(1_000_000_000_000_000L + rand(n, PRICE, 10_000_000_000_000_000L));
    p.city = CITIES[(int) rand(n, CATEGORY, CITIES.length)];
    p.state = STATES[(int) rand(n, RESERVE, STATES.length)];
    p.dateTime = timeOf(n);
    p.extra = "";
    return p;
  }

  /** The auction of event n (kindOf(n) must be AUCTION). */
  public Auction auction(long n) {
    Auction a = new Auction();
    long ts = timeOf(n);
    a.id = lastAuction(n) + FIRST_AUCTION_ID;
    // Most auctions come from a few hot sellers.
    long seller = rand(n, HOT, HOT_SELLER_RATIO) > 0
        ? (lastPerson(n) / HOT_SELLER_RATIO) * HOT_SELLER_RATIO : somePerson(n);
    long initial = price(n, PRICE);
    a.itemName = "item-" + a.id;
    a.description = "";
    a.initialBid = initial;
    a.reserve = initial + price(n, RESERVE);
    a.dateTime = ts;
    a.expires = ts + 10_000_000L + rand(n, EXPIRY, 20_000_000L);
    a.seller = seller + FIRST_PERSON_ID;
    a.category = FIRST_CATEGORY_ID + rand(n, CATEGORY, NUM_CATEGORIES);
    a.extra = "";
    return a;
  }

  /** The bid of event n (kindOf(n) must be BID). */
  public Bid bid(long n) {
    Bid b = new Bid();
    // Half the bids go to a hot auction, three in four come from hot bidders.
    long auction = rand(n, HOT, HOT_AUCTION_RATIO) > 0
        ? (Math.max(lastAuction(n), 0) / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO : someAuction(n);
    long bidder = rand(n, RESERVE, HOT_BIDDER_RATIO) > 0
        ? (lastPerson(n) / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1 : somePerson(n);
    int channel = (int) rand(n, CATEGORY, CHANNELS.length);
    b.auction = auction + FIRST_AUCTION_ID;
    b.bidder = bidder + FIRST_PERSON_ID;
    b.price = price(n, PRICE);
    b.channel = CHANNELS[channel];
    b.url = URLS[channel];
    b.dateTime = timeOf(n);
    b.extra = "";
    return b;
  }
}
