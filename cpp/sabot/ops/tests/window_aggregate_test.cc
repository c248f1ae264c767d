// Event-time window aggregation: tumbling and sliding windows against a reference
// computed here, emission timing by watermark, streaming == batch over random batch
// sizes and watermark cadence, late rows, allowed lateness, state size and errors.
#include <algorithm>
#include <map>
#include <ostream>
#include <random>
#include <set>
#include <tuple>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/ops/tests/test_util.h"
#include "sabot/ops/window_aggregate.h"

namespace sabot {

// Names a parameterized case in failures: "sliding(size=1000, slide=250, lateness=0)".
void PrintTo(const WindowSpec& w, std::ostream* os) {
  *os << (w.kind == WindowSpec::Kind::kTumbling ? "tumbling" : "sliding") << "(size=" << w.size_us
      << ", slide=" << w.slide_us << ", lateness=" << w.allowed_lateness_us << ")";
}

namespace {

using testing::BatchFromJson;
using testing::RecordingOperator;
using AF = AggregateFunction;

std::shared_ptr<arrow::Schema> InputSchema(arrow::TimeUnit::type unit = arrow::TimeUnit::MICRO) {
  return arrow::schema({arrow::field("ts", arrow::timestamp(unit)), arrow::field("k", arrow::utf8()),
                        arrow::field("v", arrow::int64())});
}

const std::vector<AggregateSpec> kSumCount = {{AF::kSum, "v", "sum_v"}, {AF::kCountAll, "", "n"}};

WindowSpec Tumbling(int64_t size, int64_t lateness = 0) {
  return WindowSpec{WindowSpec::Kind::kTumbling, "ts", size, size, lateness};
}
WindowSpec Sliding(int64_t size, int64_t slide, int64_t lateness = 0) {
  return WindowSpec{WindowSpec::Kind::kSliding, "ts", size, slide, lateness};
}

//! One output row of a (ts, k, v) -> sum(v), count(*) window aggregate.
struct OutRow {
  int64_t start, end;
  std::string key;
  int64_t sum, count;
  auto operator<=>(const OutRow&) const = default;
};

using WindowKey = std::tuple<int64_t, int64_t, std::string>;  // start, end, key
using SumCount = std::pair<int64_t, int64_t>;

std::vector<OutRow> RowsOf(const arrow::RecordBatch& batch) {
  const auto& starts = static_cast<const arrow::TimestampArray&>(*batch.column(0));
  const auto& ends = static_cast<const arrow::TimestampArray&>(*batch.column(1));
  const auto& keys = static_cast<const arrow::StringArray&>(*batch.column(2));
  const auto& sums = static_cast<const arrow::Int64Array&>(*batch.column(3));
  const auto& counts = static_cast<const arrow::Int64Array&>(*batch.column(4));
  std::vector<OutRow> rows;
  for (int64_t i = 0; i < batch.num_rows(); ++i) {
    rows.push_back({starts.Value(i), ends.Value(i), keys.GetString(i), sums.Value(i), counts.Value(i)});
  }
  return rows;
}

std::vector<OutRow> RowsOf(const std::vector<Message>& messages, size_t from = 0) {
  std::vector<OutRow> rows;
  for (size_t m = from; m < messages.size(); ++m) {
    if (!messages[m].is_batch()) continue;
    for (auto& row : RowsOf(*messages[m].batch())) rows.push_back(row);
  }
  return rows;
}

std::map<WindowKey, SumCount> AsMap(const std::vector<OutRow>& rows) {
  std::map<WindowKey, SumCount> out;
  for (const auto& r : rows) {
    EXPECT_TRUE(out.emplace(WindowKey{r.start, r.end, r.key}, SumCount{r.sum, r.count}).second)
        << "window [" << r.start << ", " << r.end << ") key " << r.key << " emitted twice";
  }
  return out;
}

struct InputRow {
  int64_t ts;
  std::string key;
  int64_t v;
};

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

//! The straightforward reference: every window covering each row, by (window, key).
std::map<WindowKey, SumCount> Reference(const std::vector<InputRow>& rows, const WindowSpec& w) {
  std::map<WindowKey, SumCount> out;
  for (const auto& r : rows) {
    for (int64_t start = FloorDiv(r.ts, w.slide_us) * w.slide_us; start > r.ts - w.size_us; start -= w.slide_us) {
      auto& [sum, count] = out[WindowKey{start, start + w.size_us, r.key}];
      sum += r.v;
      count += 1;
    }
  }
  return out;
}

std::shared_ptr<arrow::RecordBatch> ToBatch(const std::vector<InputRow>& rows, size_t begin, size_t end) {
  arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::MICRO), arrow::default_memory_pool());
  arrow::StringBuilder k;
  arrow::Int64Builder v;
  for (size_t i = begin; i < end; ++i) {
    EXPECT_TRUE(ts.Append(rows[i].ts).ok());
    EXPECT_TRUE(k.Append(rows[i].key).ok());
    EXPECT_TRUE(v.Append(rows[i].v).ok());
  }
  return arrow::RecordBatch::Make(InputSchema(), static_cast<int64_t>(end - begin),
                                  {ts.Finish().ValueOrDie(), k.Finish().ValueOrDie(), v.Finish().ValueOrDie()});
}

//! A window aggregate wired to a recording downstream.
struct Harness {
  explicit Harness(const WindowSpec& spec, WindowAggregateOptions options = {},
                   std::shared_ptr<arrow::Schema> input = InputSchema()) {
    op = MakeWindowAggregate(input, spec, {"k"}, kSumCount, std::move(options)).ValueOrDie();
    window = dynamic_cast<WindowAggregateOperator*>(op.get());
    out = std::make_unique<RecordingOperator>(op->output_schema());
    op->ConnectTo(out.get(), 0);
  }
  void Push(Message m) { ASSERT_TRUE(op->Push(0, std::move(m)).ok()); }
  void Push(const std::string& json) { Push(Message::Batch(BatchFromJson(InputSchema(), json))); }

  std::unique_ptr<Operator> op;
  WindowAggregateOperator* window = nullptr;
  std::unique_ptr<RecordingOperator> out;
};

TEST(WindowAggregate, OutputSchema) {
  Harness h(Tumbling(10));
  EXPECT_EQ(h.op->name(), "WindowAggregate");
  ASSERT_EQ(h.op->output_schema()->num_fields(), 5);
  EXPECT_EQ(h.op->output_schema()->field(0)->name(), "window_start");
  EXPECT_TRUE(h.op->output_schema()->field(0)->type()->Equals(arrow::timestamp(arrow::TimeUnit::MICRO)));
  EXPECT_EQ(h.op->output_schema()->field(1)->name(), "window_end");
  EXPECT_TRUE(h.op->output_schema()->field(1)->type()->Equals(arrow::timestamp(arrow::TimeUnit::MICRO)));
  EXPECT_EQ(h.op->output_schema()->field(2)->name(), "k");
  EXPECT_EQ(h.op->output_schema()->field(3)->name(), "sum_v");
  EXPECT_EQ(h.op->output_schema()->field(4)->name(), "n");
}

TEST(WindowAggregate, TumblingEmitsExactlyWhenWatermarkPassesEnd) {
  Harness h(Tumbling(10));
  h.Push(R"([{"ts": 3, "k": "a", "v": 1}, {"ts": 12, "k": "a", "v": 2},
             {"ts": 7, "k": "b", "v": 5}, {"ts": 1, "k": "a", "v": 10}])");
  EXPECT_EQ(h.window->state_windows(), 2);
  h.Push(Message::Watermark(9));  // [0, 10) ends at 10 (exclusive): not yet
  EXPECT_TRUE(RowsOf(h.out->messages).empty());
  EXPECT_EQ(h.out->Controls(), (std::vector<std::string>{"Watermark(9)"}));

  h.Push(Message::Watermark(10));
  EXPECT_EQ(AsMap(RowsOf(h.out->messages)),
            (std::map<WindowKey, SumCount>{{{0, 10, "a"}, {11, 2}}, {{0, 10, "b"}, {5, 1}}}));
  EXPECT_EQ(h.window->state_windows(), 1);
  // The window's rows come before the watermark that closed it.
  ASSERT_EQ(h.out->messages.size(), 3u);
  EXPECT_TRUE(h.out->messages[1].is_batch());
  EXPECT_EQ(h.out->messages[2].ToString(), "Watermark(10)");

  const size_t seen = h.out->messages.size();
  h.Push(R"([{"ts": 15, "k": "a", "v": 1}, {"ts": 25, "k": "b", "v": 1}, {"ts": 11, "k": "a", "v": 4}])");
  h.Push(Message::Watermark(19));
  EXPECT_TRUE(RowsOf(h.out->messages, seen).empty());
  h.Push(Message::Watermark(20));
  EXPECT_EQ(AsMap(RowsOf(h.out->messages, seen)), (std::map<WindowKey, SumCount>{{{10, 20, "a"}, {7, 3}}}));
  EXPECT_EQ(h.window->state_windows(), 1);

  const size_t seen2 = h.out->messages.size();
  h.Push(Message::EndOfStream());
  EXPECT_EQ(AsMap(RowsOf(h.out->messages, seen2)), (std::map<WindowKey, SumCount>{{{20, 30, "b"}, {1, 1}}}));
  EXPECT_EQ(h.window->state_windows(), 0);
  EXPECT_EQ(h.out->Controls(), (std::vector<std::string>{"Watermark(9)", "Watermark(10)", "Watermark(19)",
                                                         "Watermark(20)", "EndOfStream"}));
  EXPECT_EQ(h.window->late_rows(), 0);
}

TEST(WindowAggregate, SlidingAssignsEveryCoveringWindow) {
  // size 10, slide 5: t=7 is in [0, 10) and [5, 15); t=-3 in [-10, 0) and [-5, 5).
  Harness h(Sliding(10, 5));
  h.Push(R"([{"ts": 7, "k": "a", "v": 1}, {"ts": -3, "k": "a", "v": 2}, {"ts": 12, "k": "b", "v": 4}])");
  EXPECT_EQ(h.window->state_windows(), 5);  // -10, -5, 0, 5, 10
  h.Push(Message::Watermark(5));
  EXPECT_EQ(AsMap(RowsOf(h.out->messages)),
            (std::map<WindowKey, SumCount>{{{-10, 0, "a"}, {2, 1}}, {{-5, 5, "a"}, {2, 1}}}));
  EXPECT_EQ(h.window->state_windows(), 3);
  h.Push(Message::Watermark(1000));
  EXPECT_EQ(h.window->state_windows(), 0);
  EXPECT_EQ(AsMap(RowsOf(h.out->messages)), (std::map<WindowKey, SumCount>{{{-10, 0, "a"}, {2, 1}},
                                                                          {{-5, 5, "a"}, {2, 1}},
                                                                          {{0, 10, "a"}, {1, 1}},
                                                                          {{5, 15, "a"}, {1, 1}},
                                                                          {{5, 15, "b"}, {4, 1}},
                                                                          {{10, 20, "b"}, {4, 1}}}));
  // Windows come out in start order.
  const auto rows = RowsOf(h.out->messages);
  EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.start < b.start; }));
  h.Push(Message::EndOfStream());
  EXPECT_EQ(RowsOf(h.out->messages).size(), rows.size());  // nothing left to flush
}

TEST(WindowAggregate, TimeUnitsAreReadAsMicroseconds) {
  // Nanoseconds round down (toward the past): -1ns is in [-10us, 0).
  auto ns = InputSchema(arrow::TimeUnit::NANO);
  auto op = MakeWindowAggregate(ns, Tumbling(10), {"k"}, kSumCount).ValueOrDie();
  RecordingOperator out(op->output_schema());
  op->ConnectTo(&out, 0);
  ASSERT_TRUE(op->Push(0, Message::Batch(BatchFromJson(ns, R"([{"ts": -1, "k": "a", "v": 1},
      {"ts": 5000, "k": "a", "v": 2}, {"ts": 9999, "k": "a", "v": 4}, {"ts": 10000, "k": "a", "v": 8}])")))
                  .ok());
  ASSERT_TRUE(op->Push(0, Message::EndOfStream()).ok());
  EXPECT_EQ(AsMap(RowsOf(out.messages)), (std::map<WindowKey, SumCount>{
                                             {{-10, 0, "a"}, {1, 1}}, {{0, 10, "a"}, {6, 2}}, {{10, 20, "a"}, {8, 1}}}));

  auto s = InputSchema(arrow::TimeUnit::SECOND);
  auto op_s = MakeWindowAggregate(s, Tumbling(60'000'000), {"k"}, kSumCount).ValueOrDie();
  RecordingOperator out_s(op_s->output_schema());
  op_s->ConnectTo(&out_s, 0);
  ASSERT_TRUE(op_s->Push(0, Message::Batch(BatchFromJson(s, R"([{"ts": 59, "k": "a", "v": 1},
      {"ts": 60, "k": "a", "v": 2}])")))
                  .ok());
  ASSERT_TRUE(op_s->Push(0, Message::Watermark(60'000'000)).ok());  // watermarks are in microseconds
  EXPECT_EQ(AsMap(RowsOf(out_s.messages)), (std::map<WindowKey, SumCount>{{{0, 60'000'000, "a"}, {1, 1}}}));
}

class WindowStreamingEqualsBatch : public ::testing::TestWithParam<WindowSpec> {};

TEST_P(WindowStreamingEqualsBatch, RandomBatchesAndWatermarks) {
  const WindowSpec spec = GetParam();
  const int64_t bound = 300;  // out-of-orderness
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    // Clocks per row are needed for the watermark, so generate them alongside.
    std::vector<InputRow> rows;
    std::vector<int64_t> clocks;
    int64_t clock = -5000;
    const char* keys[] = {"a", "b", "c", "d"};
    for (int i = 0; i < 3000; ++i) {
      clock += static_cast<int64_t>(rng() % 40);
      clocks.push_back(clock);
      rows.push_back({clock - static_cast<int64_t>(rng() % bound), keys[rng() % 4],
                      static_cast<int64_t>(rng() % 100) - 20});
    }
    const auto expected = Reference(rows, spec);

    // All at once: one batch, then EndOfStream.
    Harness batch_mode(spec);
    batch_mode.Push(Message::Batch(ToBatch(rows, 0, rows.size())));
    EXPECT_TRUE(RowsOf(batch_mode.out->messages).empty());  // no watermark yet
    batch_mode.Push(Message::EndOfStream());
    EXPECT_EQ(AsMap(RowsOf(batch_mode.out->messages)), expected);
    EXPECT_EQ(batch_mode.window->state_windows(), 0);

    // Streaming: random batch sizes, a watermark after some batches.
    Harness stream(spec);
    std::set<int64_t> all_starts;
    for (const auto& [key, value] : expected) all_starts.insert(std::get<0>(key));
    size_t begin = 0;
    while (begin < rows.size()) {
      const size_t end = std::min(rows.size(), begin + 1 + rng() % 250);
      stream.Push(Message::Batch(ToBatch(rows, begin, end)));
      if (rng() % 3 == 0) {
        const int64_t watermark = clocks[end - 1] - bound;
        stream.Push(Message::Watermark(watermark));
        // Exactly the windows that ended by the watermark have been emitted.
        std::set<int64_t> emitted, want;
        for (const auto& r : RowsOf(stream.out->messages)) emitted.insert(r.start);
        for (int64_t s : all_starts) {
          if (s + spec.size_us <= watermark) want.insert(s);
        }
        ASSERT_EQ(emitted, want) << "after Watermark(" << watermark << ")";
      }
      begin = end;
    }
    stream.Push(Message::EndOfStream());
    const auto streamed = RowsOf(stream.out->messages);
    EXPECT_EQ(AsMap(streamed), expected);
    EXPECT_TRUE(std::is_sorted(streamed.begin(), streamed.end(), [](auto& a, auto& b) { return a.start < b.start; }));
    EXPECT_EQ(stream.window->late_rows(), 0);
    EXPECT_EQ(stream.window->state_windows(), 0);
    EXPECT_EQ(stream.out->Controls().back(), "EndOfStream");
  }
}

INSTANTIATE_TEST_SUITE_P(Windows, WindowStreamingEqualsBatch,
                         ::testing::Values(Tumbling(1000), Tumbling(37), Sliding(1000, 250), Sliding(1000, 300),
                                           Sliding(500, 500), Tumbling(1000, /*lateness=*/2000),
                                           Sliding(1000, 400, /*lateness=*/700)));

TEST(WindowAggregate, LateRowsAreCountedAndSentToTheLateSink) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> late;
  WindowAggregateOptions options;
  options.late_sink = [&](std::shared_ptr<arrow::RecordBatch> batch) {
    late.push_back(std::move(batch));
    return Status::OK();
  };
  Harness h(Tumbling(10), options);
  h.Push(R"([{"ts": 5, "k": "a", "v": 1}])");
  h.Push(Message::Watermark(10));
  EXPECT_EQ(h.window->state_windows(), 0);
  h.Push(R"([{"ts": 3, "k": "a", "v": 7}, {"ts": 15, "k": "a", "v": 1}, {"ts": 9, "k": "b", "v": 2}])");
  EXPECT_EQ(h.window->late_rows(), 2);
  ASSERT_EQ(late.size(), 1u);
  const auto want_late = BatchFromJson(InputSchema(), R"([{"ts": 3, "k": "a", "v": 7}, {"ts": 9, "k": "b", "v": 2}])");
  EXPECT_TRUE(late[0]->Equals(*want_late)) << late[0]->ToString();
  h.Push(Message::EndOfStream());
  // The late rows changed no emitted window; the on-time row went to its window.
  EXPECT_EQ(AsMap(RowsOf(h.out->messages)),
            (std::map<WindowKey, SumCount>{{{0, 10, "a"}, {1, 1}}, {{10, 20, "a"}, {1, 1}}}));

  // Without a sink they are still counted.
  Harness counted(Tumbling(10));
  counted.Push(Message::Watermark(100));
  counted.Push(R"([{"ts": 3, "k": "a", "v": 7}, {"ts": 100, "k": "a", "v": 1}])");
  EXPECT_EQ(counted.window->late_rows(), 1);
}

TEST(WindowAggregate, RowLateForSomeSlidingWindowsGoesToTheSinkAndTheOpenOnes) {
  int64_t sunk = 0;
  WindowAggregateOptions options;
  options.late_sink = [&](std::shared_ptr<arrow::RecordBatch> batch) {
    sunk += batch->num_rows();
    return Status::OK();
  };
  Harness h(Sliding(10, 5), options);
  h.Push(Message::Watermark(10));
  h.Push(R"([{"ts": 7, "k": "a", "v": 1}])");  // [0, 10) is closed, [5, 15) open
  EXPECT_EQ(h.window->late_rows(), 1);
  EXPECT_EQ(sunk, 1);
  h.Push(Message::EndOfStream());
  EXPECT_EQ(AsMap(RowsOf(h.out->messages)), (std::map<WindowKey, SumCount>{{{5, 15, "a"}, {1, 1}}}));
}

TEST(WindowAggregate, AllowedLatenessReemitsTheUpdatedWindow) {
  Harness h(Tumbling(10, /*lateness=*/5));
  h.Push(R"([{"ts": 2, "k": "a", "v": 1}])");
  h.Push(Message::Watermark(10));
  EXPECT_EQ(RowsOf(h.out->messages), (std::vector<OutRow>{{0, 10, "a", 1, 1}}));
  EXPECT_EQ(h.window->state_windows(), 1);  // kept for lateness

  h.Push(R"([{"ts": 4, "k": "a", "v": 2}])");  // within lateness: the full result again
  EXPECT_EQ(RowsOf(h.out->messages), (std::vector<OutRow>{{0, 10, "a", 1, 1}, {0, 10, "a", 3, 2}}));
  h.Push(Message::Watermark(14));
  EXPECT_EQ(h.window->state_windows(), 1);
  EXPECT_EQ(RowsOf(h.out->messages).size(), 2u);  // a watermark re-emits nothing unchanged

  h.Push(R"([{"ts": 9, "k": "b", "v": 4}, {"ts": 20, "k": "a", "v": 100}])");
  auto rows = RowsOf(h.out->messages);
  ASSERT_EQ(rows.size(), 4u);
  std::sort(rows.begin() + 2, rows.end());
  EXPECT_EQ(rows[2], (OutRow{0, 10, "a", 3, 2}));
  EXPECT_EQ(rows[3], (OutRow{0, 10, "b", 4, 1}));

  h.Push(Message::Watermark(15));  // end + lateness: the window is dropped
  EXPECT_EQ(h.window->state_windows(), 1);  // [20, 30) remains
  EXPECT_EQ(RowsOf(h.out->messages).size(), 4u);
  h.Push(R"([{"ts": 1, "k": "a", "v": 1}])");
  EXPECT_EQ(h.window->late_rows(), 1);
  EXPECT_EQ(h.window->state_windows(), 1);

  // A window first seen after the watermark passed its end, within lateness, is
  // emitted right away.
  h.Push(Message::Watermark(22));
  h.Push(R"([{"ts": 18, "k": "c", "v": 3}])");
  EXPECT_EQ(RowsOf(h.out->messages).back(), (OutRow{10, 20, "c", 3, 1}));
  EXPECT_EQ(h.window->late_rows(), 1);

  h.Push(Message::EndOfStream());
  EXPECT_EQ(RowsOf(h.out->messages).back(), (OutRow{20, 30, "a", 100, 1}));
  EXPECT_EQ(h.window->state_windows(), 0);
}

TEST(WindowAggregate, StateRowsCountGroupsOrHeldRowsAndReturnToZero) {
  // Without lateness a window holds one aggregate row per key.
  Harness plain(Sliding(10, 5));
  plain.Push(R"([{"ts": 1, "k": "a", "v": 1}, {"ts": 2, "k": "a", "v": 1}, {"ts": 3, "k": "b", "v": 1}])");
  EXPECT_EQ(plain.window->state_rows(), 4);  // [-5, 5) and [0, 10), keys a and b each
  plain.Push(Message::Watermark(5));
  EXPECT_EQ(plain.window->state_rows(), 2);
  plain.Push(Message::Watermark(10));
  EXPECT_EQ(plain.window->state_rows(), 0);
  EXPECT_EQ(plain.window->state_windows(), 0);

  // With lateness it holds the input rows until end + lateness.
  Harness late(Tumbling(10, /*lateness=*/5));
  late.Push(R"([{"ts": 1, "k": "a", "v": 1}, {"ts": 2, "k": "a", "v": 1}, {"ts": 3, "k": "b", "v": 1}])");
  EXPECT_EQ(late.window->state_rows(), 3);
  late.Push(Message::Watermark(14));
  EXPECT_EQ(late.window->state_rows(), 3);
  late.Push(Message::Watermark(15));
  EXPECT_EQ(late.window->state_rows(), 0);
}

TEST(WindowAggregate, BarriersAndEmptyBatchesPassThrough) {
  Harness h(Tumbling(10));
  h.Push(Message::Batch(BatchFromJson(InputSchema(), "[]")));
  h.Push(Message::CheckpointBarrier(3));
  EXPECT_EQ(h.window->state_windows(), 0);
  EXPECT_EQ(h.out->Controls(), (std::vector<std::string>{"CheckpointBarrier(3)"}));
}

TEST(WindowAggregate, Errors) {
  auto schema = InputSchema();
  auto fails = [&](const std::shared_ptr<arrow::Schema>& input, const WindowSpec& spec, const std::string& text) {
    auto result = MakeWindowAggregate(input, spec, {"k"}, kSumCount);
    ASSERT_FALSE(result.ok()) << text;
    EXPECT_NE(result.status().message().find(text), std::string::npos) << result.status().ToString();
  };
  auto int_time = arrow::schema({arrow::field("ts", arrow::int64()), arrow::field("k", arrow::utf8()),
                                 arrow::field("v", arrow::int64())});
  fails(int_time, Tumbling(10), "window time column 'ts': expected a timestamp, found int64");
  EXPECT_TRUE(MakeWindowAggregate(int_time, Tumbling(10), {"k"}, kSumCount).status().IsTypeError());
  fails(schema, WindowSpec{WindowSpec::Kind::kTumbling, "when", 10, 10, 0}, "window time column 'when' does not exist");
  fails(schema, Tumbling(0), "window size must be positive");
  fails(schema, Tumbling(-5), "window size must be positive");
  fails(schema, Sliding(10, 0), "window slide must be positive");
  fails(schema, Sliding(10, -1), "window slide must be positive");
  fails(schema, Sliding(10, 11), "must not exceed the window size");
  fails(schema, WindowSpec{WindowSpec::Kind::kTumbling, "ts", 10, 5, 0}, "tumbling window's slide");
  fails(schema, Tumbling(10, -1), "allowed lateness must not be negative");
  auto clash = MakeWindowAggregate(schema, Tumbling(10), {"k"}, {{AF::kSum, "v", "window_end"}});
  EXPECT_FALSE(clash.ok());

  // A null event time is an error naming the column and row.
  Harness h(Tumbling(10));
  auto status = h.op->Push(0, Message::Batch(BatchFromJson(
                                  schema, R"([{"ts": 1, "k": "a", "v": 1}, {"ts": null, "k": "a", "v": 1}])")));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.status().message().find("'ts' has a null event time at row 1"), std::string::npos);
}

}  // namespace
}  // namespace sabot
