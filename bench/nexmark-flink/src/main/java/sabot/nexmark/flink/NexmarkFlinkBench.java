// NexmarkFlinkBench: runs Nexmark q0-q3 on a one-JVM Flink MiniCluster, or checks the generator.
package sabot.nexmark.flink;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** Modes (all take --events N, --seed S):
 *  <pre>
 *  bench    --parallelism P --repeats R [--warmups W] [--queries q0,q1,q2,q3]
 *           W (default 1) warm-up runs, then R timed runs per query; prints "result query=.. rows=..
 *           seconds=<median> events_per_s=.." per query
 *  checksum per table: rows, and the sums of its integer columns and string lengths
 *  dump     --dir D: person.csv, auction.csv, bid.csv of all events (for row-by-row checks)
 *  </pre> */
public final class NexmarkFlinkBench {
  private NexmarkFlinkBench() {}

  public static void main(String[] argv) throws Exception {
    if (argv.length == 0) usage("missing mode");
    Map<String, String> args = options(Arrays.copyOfRange(argv, 1, argv.length));
    long events = Long.parseLong(args.getOrDefault("events", "10000000"));
    long seed = Long.parseUnsignedLong(args.getOrDefault("seed", "0"));
    if (events < 1) usage("--events must be >= 1");
    switch (argv[0]) {
      case "bench" -> bench(events, seed, Integer.parseInt(args.getOrDefault("parallelism", "1")),
          Integer.parseInt(args.getOrDefault("repeats", "3")), Integer.parseInt(args.getOrDefault("warmups", "1")),
          List.of(args.getOrDefault("queries", "q0,q1,q2,q3").split(",")));
      case "checksum" -> checksum(events, seed);
      case "dump" -> dump(events, seed, Path.of(args.getOrDefault("dir", ".")));
      default -> usage("unknown mode '" + argv[0] + "'");
    }
  }

  private static void usage(String why) {
    System.err.println("nexmark-flink: " + why + "\nusage: bench|checksum|dump --events N [--seed S] "
        + "[--parallelism P --repeats R --warmups W --queries q0,q1,q2,q3] [--dir D]");
    System.exit(2);
  }

  private static Map<String, String> options(String[] argv) {
    Map<String, String> out = new HashMap<>();
    for (int i = 0; i < argv.length; i += 2) {
      if (!argv[i].startsWith("--") || i + 1 >= argv.length) usage("bad option '" + argv[i] + "'");
      out.put(argv[i].substring(2), argv[i + 1]);
    }
    return out;
  }

  // One MiniCluster for all runs, so a run's time is the job's (graph submission, deployment,
  // execution, teardown) and not the cluster's start. Slots = parallelism: every operator
  // shares the default slot sharing group, so a job needs exactly P slots.
  private static void bench(long events, long seed, int parallelism, int repeats, int warmups, List<String> queries)
      throws Exception {
    MiniClusterConfiguration config = new MiniClusterConfiguration.Builder()
        .setConfiguration(new Configuration())
        .setNumTaskManagers(1)
        .setNumSlotsPerTaskManager(parallelism)
        .build();
    try (MiniCluster cluster = new MiniCluster(config)) {
      cluster.start();
      for (String query : queries) {
        List<Double> times = new ArrayList<>();
        long rows = -1;
        for (int run = 0; run < warmups + repeats; run++) {
          JobGraph job = jobGraph(query, events, seed, parallelism);
          long start = System.nanoTime();
          JobExecutionResult result = cluster.executeJobBlocking(job);
          double seconds = (System.nanoTime() - start) / 1e9;
          PartitionedCsvSink.remove(NexmarkQueries.q10Output());
          long out = result.<Long>getAccumulatorResult(NexmarkQueries.ROWS);
          if (rows >= 0 && out != rows) throw new IllegalStateException(query + ": rows changed between runs");
          rows = out;
          System.out.printf("run query=%s run=%d%s rows=%d seconds=%.4f%n", query, run,
              run < warmups ? "(warm-up)" : "", out, seconds);
          if (run >= warmups) times.add(seconds);
        }
        times.sort(null);
        double median = times.size() % 2 == 1 ? times.get(times.size() / 2)
            : (times.get(times.size() / 2 - 1) + times.get(times.size() / 2)) / 2;
        System.out.printf("result query=%s rows=%d seconds=%.4f events_per_s=%.0f%n", query, rows, median,
            events / median);
      }
    }
  }

  private static JobGraph jobGraph(String query, long events, long seed, int parallelism) {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(parallelism);
    // Chained operators hand records over without a defensive copy; none of ours keeps or
    // mutates an input record, which is the case object reuse is documented for.
    env.getConfig().enableObjectReuse();
    NexmarkQueries.build(query, env, events, seed);
    return env.getStreamGraph().getJobGraph();
  }

  private static void checksum(long events, long seed) {
    NexmarkGenerator gen = new NexmarkGenerator(seed);
    long[] person = new long[4], auction = new long[10], bid = new long[7];  // rows, then per column
    long start = NexmarkGenerator.DEFAULT_START_TIME_US;
    // Per kind through count() and eventNumber(), the way the jobs' sources enumerate events.
    for (long k = 0; k < NexmarkGenerator.count(NexmarkGenerator.Kind.PERSON, events); k++) {
      Person p = gen.person(NexmarkGenerator.eventNumber(NexmarkGenerator.Kind.PERSON, k));
      person[0]++;
      person[1] += p.id;
      person[2] += p.dateTime - start;
      person[3] += p.name.length() + p.emailAddress.length() + p.creditCard.length() + p.city.length()
          + p.state.length() + p.extra.length();
    }
    for (long k = 0; k < NexmarkGenerator.count(NexmarkGenerator.Kind.AUCTION, events); k++) {
      Auction a = gen.auction(NexmarkGenerator.eventNumber(NexmarkGenerator.Kind.AUCTION, k));
      auction[0]++;
      auction[1] += a.id;
      auction[2] += a.initialBid;
      auction[3] += a.reserve;
      auction[4] += a.dateTime - start;
      auction[5] += a.expires - start;
      auction[6] += a.seller;
      auction[7] += a.category;
      auction[8] += a.itemName.length() + a.description.length() + a.extra.length();
    }
    for (long k = 0; k < NexmarkGenerator.count(NexmarkGenerator.Kind.BID, events); k++) {
      Bid b = gen.bid(NexmarkGenerator.eventNumber(NexmarkGenerator.Kind.BID, k));
      bid[0]++;
      bid[1] += b.auction;
      bid[2] += b.bidder;
      bid[3] += b.price;
      bid[4] += b.dateTime - start;
      bid[5] += b.channel.length() + b.url.length() + b.extra.length();
    }
    System.out.printf("person rows=%d id=%d date_time=%d string_chars=%d%n", person[0], person[1], person[2],
        person[3]);
    System.out.printf("auction rows=%d id=%d initial_bid=%d reserve=%d date_time=%d expires=%d seller=%d "
        + "category=%d string_chars=%d%n", auction[0], auction[1], auction[2], auction[3], auction[4], auction[5],
        auction[6], auction[7], auction[8]);
    System.out.printf("bid rows=%d auction=%d bidder=%d price=%d date_time=%d string_chars=%d%n", bid[0], bid[1],
        bid[2], bid[3], bid[4], bid[5]);
  }

  // Every event number in order, by kindOf(): an enumeration independent of the sources' one
  // (count and eventNumber), so the two checks together also check that mapping.
  private static void dump(long events, long seed, Path dir) throws IOException {
    NexmarkGenerator gen = new NexmarkGenerator(seed);
    Files.createDirectories(dir);
    // None of the generated strings holds a comma, quote or newline, so plain CSV is exact.
    try (PrintWriter person = new PrintWriter(Files.newBufferedWriter(dir.resolve("person.csv")));
         PrintWriter auction = new PrintWriter(Files.newBufferedWriter(dir.resolve("auction.csv")));
         PrintWriter bid = new PrintWriter(Files.newBufferedWriter(dir.resolve("bid.csv")))) {
      person.println("id,name,email_address,credit_card,city,state,date_time,extra");
      auction.println("id,item_name,description,initial_bid,reserve,date_time,expires,seller,category,extra");
      bid.println("auction,bidder,price,channel,url,date_time,extra");
      for (long n = 0; n < events; n++) {
        switch (NexmarkGenerator.kindOf(n)) {
          case PERSON -> {
            Person p = gen.person(n);
            person.println(String.join(",", Long.toString(p.id), p.name, p.emailAddress, p.creditCard, p.city,
                p.state, Long.toString(p.dateTime), p.extra));
          }
          case AUCTION -> {
            Auction a = gen.auction(n);
            auction.println(String.join(",", Long.toString(a.id), a.itemName, a.description,
                Long.toString(a.initialBid), Long.toString(a.reserve), Long.toString(a.dateTime),
                Long.toString(a.expires), Long.toString(a.seller), Long.toString(a.category), a.extra));
          }
          case BID -> {
            Bid b = gen.bid(n);
            bid.println(String.join(",", Long.toString(b.auction), Long.toString(b.bidder), Long.toString(b.price),
                b.channel, b.url, Long.toString(b.dateTime), b.extra));
          }
        }
      }
    }
  }
}
