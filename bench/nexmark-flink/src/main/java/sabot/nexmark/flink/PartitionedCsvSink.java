// PartitionedCsvSink: q10's sink, bids as CSV files per minute of event time (Hive-style
// dt=/hm= directories), as Flink's file sink writes them: each subtask its own part file
// per bucket, written as in-progress and renamed when the subtask finishes.
package sabot.nexmark.flink;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.functions.sink.RichSinkFunction;

final class PartitionedCsvSink extends RichSinkFunction<Bid> {
  private static final long MINUTE = 60_000_000L;
  private static final DateTimeFormatter BUCKET = DateTimeFormatter.ofPattern("'dt='yyyy-MM-dd/'hm='HH:mm:00");
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

  private final String dir;
  private final LongCounter rows = new LongCounter();
  private transient Map<Long, BufferedWriter> writers;  // by minute since the epoch
  private transient Map<Long, Path> paths;
  private transient long lastMinute;
  private transient BufferedWriter last;

  PartitionedCsvSink(String dir) { this.dir = dir; }

  @Override public void open(Configuration parameters) {
    getRuntimeContext().addAccumulator(NexmarkQueries.ROWS, rows);
    writers = new HashMap<>();
    paths = new HashMap<>();
    lastMinute = Long.MIN_VALUE;
  }

  @Override public void invoke(Bid b, Context context) throws IOException {
    long minute = Math.floorDiv(b.dateTime, MINUTE);
    if (minute != lastMinute) {  // bids come in time order: the bucket rarely changes
      last = writers.get(minute);
      if (last == null) last = open(minute);
      lastMinute = minute;
    }
    LocalDateTime t = LocalDateTime.ofEpochSecond(Math.floorDiv(b.dateTime, 1_000_000L),
        (int) Math.floorMod(b.dateTime, 1_000_000L) * 1000, ZoneOffset.UTC);
    last.write(b.auction + "," + b.bidder + "," + b.price + "," + TIME.format(t) + ",\"" + b.extra + "\"\n");
    rows.add(1);
  }

  private BufferedWriter open(long minute) throws IOException {
    LocalDateTime start = LocalDateTime.ofEpochSecond(minute * 60, 0, ZoneOffset.UTC);
    Path bucket = Path.of(dir, BUCKET.format(start));
    Files.createDirectories(bucket);
    Path file = bucket.resolve("part-" + getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() + ".csv");
    BufferedWriter w = Files.newBufferedWriter(Path.of(file + ".inprogress"), StandardCharsets.UTF_8);
    w.write("auction,bidder,price,date_time,extra\n");
    writers.put(minute, w);
    paths.put(minute, file);
    return w;
  }

  @Override public void close() throws IOException {
    if (writers == null) return;
    for (Map.Entry<Long, BufferedWriter> e : writers.entrySet()) {
      e.getValue().close();
      Path file = paths.get(e.getKey());
      Files.move(Path.of(file + ".inprogress"), file);
    }
    writers.clear();
  }

  /** Removes a run's output directory (the bench keeps none). */
  static void remove(Path root) {
    if (!Files.exists(root)) return;
    try (Stream<Path> all = Files.walk(root)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException ex) {
          throw new UncheckedIOException(ex);
        }
      });
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }
}
