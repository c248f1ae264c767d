// Session windows: gaps close and merges join sessions, emission by watermark,
// streaming == batch over random batches and watermarks against a reference computed
// here, late rows, allowed lateness updates, state size and errors.
#include <algorithm>
#include <map>
#include <random>
#include <tuple>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/ops/session_window_aggregate.h"
#include "sabot/ops/tests/test_util.h"

namespace sabot {
namespace {

using testing::BatchFromJson;
using testing::RecordingOperator;
using AF = AggregateFunction;

std::shared_ptr<arrow::Schema> InputSchema() {
  return arrow::schema({arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO)), arrow::field("k", arrow::utf8()),
                        arrow::field("v", arrow::int64())});
}

const std::vector<AggregateSpec> kAggregates = {{AF::kSum, "v", "sum_v"}, {AF::kCountAll, "", "n"},
                                                {AF::kFirst, "v", "first_v"}};

WindowSpec Session(int64_t gap, int64_t lateness = 0) {
  WindowSpec spec;
  spec.kind = WindowSpec::Kind::kSession;
  spec.time_column = "ts";
  spec.gap_us = gap;
  spec.allowed_lateness_us = lateness;
  return spec;
}

using SessionKey = std::tuple<int64_t, int64_t, std::string>;  // start, end, key
using SumCount = std::pair<int64_t, int64_t>;

std::map<SessionKey, SumCount> AsMap(const std::vector<Message>& messages, size_t from = 0) {
  std::map<SessionKey, SumCount> out;
  for (size_t m = from; m < messages.size(); ++m) {
    if (!messages[m].is_batch()) continue;
    const auto& batch = *messages[m].batch();
    const auto& starts = static_cast<const arrow::TimestampArray&>(*batch.column(0));
    const auto& ends = static_cast<const arrow::TimestampArray&>(*batch.column(1));
    const auto& keys = static_cast<const arrow::StringArray&>(*batch.column(2));
    const auto& sums = static_cast<const arrow::Int64Array&>(*batch.column(3));
    const auto& counts = static_cast<const arrow::Int64Array&>(*batch.column(4));
    for (int64_t i = 0; i < batch.num_rows(); ++i) {
      const SessionKey key{starts.Value(i), ends.Value(i), keys.GetString(i)};
      EXPECT_TRUE(out.emplace(key, SumCount{sums.Value(i), counts.Value(i)}).second)
          << "session [" << starts.Value(i) << ", " << ends.Value(i) << ") key " << keys.GetString(i)
          << " emitted twice";
    }
  }
  return out;
}

struct Harness {
  explicit Harness(const WindowSpec& spec, WindowAggregateOptions options = {}) {
    op = MakeSessionWindowAggregate(InputSchema(), spec, {"k"}, kAggregates, std::move(options)).ValueOrDie();
    session = dynamic_cast<SessionWindowAggregateOperator*>(op.get());
    out = std::make_unique<RecordingOperator>(op->output_schema());
    op->ConnectTo(out.get(), 0);
  }
  void Push(Message m) { ASSERT_TRUE(op->Push(0, std::move(m)).ok()); }
  void Push(const std::string& json) { Push(Message::Batch(BatchFromJson(InputSchema(), json))); }

  std::unique_ptr<Operator> op;
  SessionWindowAggregateOperator* session = nullptr;
  std::unique_ptr<RecordingOperator> out;
};

TEST(SessionWindowAggregate, OutputSchemaMatchesTheOtherWindows) {
  Harness h(Session(10));
  EXPECT_EQ(h.op->name(), "SessionWindowAggregate");
  EXPECT_EQ(h.op->output_schema()->field_names(),
            (std::vector<std::string>{"window_start", "window_end", "k", "sum_v", "n", "first_v"}));
  // MakeWindowAggregate hands session specs on.
  auto op = MakeWindowAggregate(InputSchema(), Session(10), {"k"}, kAggregates).ValueOrDie();
  EXPECT_EQ(op->name(), "SessionWindowAggregate");
}

TEST(SessionWindowAggregate, GapClosesAndWatermarkEmits) {
  Harness h(Session(10));
  // a: 0, 5, 14 (one session, 14 - 5 < 10), then 30; b: 3.
  h.Push(R"([{"ts": 5, "k": "a", "v": 2}, {"ts": 0, "k": "a", "v": 1}, {"ts": 3, "k": "b", "v": 7},
             {"ts": 14, "k": "a", "v": 4}, {"ts": 30, "k": "a", "v": 8}])");
  EXPECT_EQ(h.session->state_windows(), 3);
  EXPECT_EQ(h.session->state_rows(), 5);
  h.Push(Message::Watermark(12));  // b's session ends at 13
  EXPECT_TRUE(AsMap(h.out->messages).empty());
  h.Push(Message::Watermark(13));
  EXPECT_EQ(AsMap(h.out->messages), (std::map<SessionKey, SumCount>{{{3, 13, "b"}, {7, 1}}}));
  h.Push(Message::Watermark(24));
  EXPECT_EQ(AsMap(h.out->messages),
            (std::map<SessionKey, SumCount>{{{3, 13, "b"}, {7, 1}}, {{0, 24, "a"}, {7, 3}}}));
  // first() follows arrival order within the session, not event time.
  const auto& last_batch = *h.out->messages[h.out->messages.size() - 2].batch();
  EXPECT_EQ(static_cast<const arrow::Int64Array&>(*last_batch.column(5)).Value(0), 2);
  EXPECT_EQ(h.session->state_windows(), 1);
  h.Push(Message::Watermark(40));
  EXPECT_EQ(h.session->state_windows(), 0);
  EXPECT_EQ(h.session->state_rows(), 0);
  EXPECT_EQ(AsMap(h.out->messages).size(), 3u);
  h.Push(Message::EndOfStream());
  EXPECT_EQ(h.out->Controls(), (std::vector<std::string>{"Watermark(12)", "Watermark(13)", "Watermark(24)",
                                                         "Watermark(40)", "EndOfStream"}));
}

TEST(SessionWindowAggregate, ARowBridgingTwoSessionsMergesThem) {
  Harness h(Session(10));
  h.Push(R"([{"ts": 0, "k": "a", "v": 1}, {"ts": 20, "k": "a", "v": 2}])");
  EXPECT_EQ(h.session->state_windows(), 2);
  h.Push(R"([{"ts": 11, "k": "a", "v": 4}])");  // 11 - 0 >= 10 but 20 - 11 < 10: joins the second only
  EXPECT_EQ(h.session->state_windows(), 2);
  h.Push(R"([{"ts": 9, "k": "a", "v": 8}])");  // 9 - 0 < 10 and 11 - 9 < 10: one session
  EXPECT_EQ(h.session->state_windows(), 1);
  EXPECT_EQ(h.session->state_rows(), 4);
  h.Push(Message::EndOfStream());
  EXPECT_EQ(AsMap(h.out->messages), (std::map<SessionKey, SumCount>{{{0, 30, "a"}, {15, 4}}}));
  EXPECT_EQ(h.session->state_rows(), 0);
}

struct InputRow {
  int64_t ts;
  std::string key;
  int64_t v;
};

//! Gaps and islands per key, the batch definition.
std::map<SessionKey, SumCount> Reference(std::vector<InputRow> rows, int64_t gap) {
  std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return std::tie(a.key, a.ts) < std::tie(b.key, b.ts); });
  std::map<SessionKey, SumCount> out;
  size_t i = 0;
  while (i < rows.size()) {
    size_t j = i;
    int64_t sum = 0;
    while (j < rows.size() && rows[j].key == rows[i].key && (j == i || rows[j].ts - rows[j - 1].ts < gap)) {
      sum += rows[j].v;
      ++j;
    }
    out[SessionKey{rows[i].ts, rows[j - 1].ts + gap, rows[i].key}] = {sum, static_cast<int64_t>(j - i)};
    i = j;
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

TEST(SessionWindowAggregate, StreamingEqualsBatchOverRandomBatchesAndWatermarks) {
  const int64_t bound = 300;  // out-of-orderness
  for (int64_t gap : {1, 50, 200, 1000}) {
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      SCOPED_TRACE("gap " + std::to_string(gap) + " seed " + std::to_string(seed));
      std::mt19937_64 rng(seed);
      std::vector<InputRow> rows;
      std::vector<int64_t> clocks;
      int64_t clock = -5000;
      const char* keys[] = {"a", "b", "c", "d"};
      for (int i = 0; i < 2000; ++i) {
        clock += 1 + static_cast<int64_t>(rng() % (seed * 20));
        clocks.push_back(clock);
        rows.push_back({clock - static_cast<int64_t>(rng() % bound), keys[rng() % 4],
                        static_cast<int64_t>(rng() % 100) - 20});
      }
      const auto expected = Reference(rows, gap);

      Harness batch_mode(Session(gap));
      batch_mode.Push(Message::Batch(ToBatch(rows, 0, rows.size())));
      batch_mode.Push(Message::EndOfStream());
      EXPECT_EQ(AsMap(batch_mode.out->messages), expected);

      Harness streaming(Session(gap));
      size_t begin = 0;
      while (begin < rows.size()) {
        const size_t end = std::min(rows.size(), begin + 1 + rng() % 200);
        streaming.Push(Message::Batch(ToBatch(rows, begin, end)));
        // Every row after this one is at least clock - bound + 1 (clocks rise).
        if (rng() % 2 == 0) streaming.Push(Message::Watermark(clocks[end - 1] - bound));
        begin = end;
      }
      const int64_t max_ts = std::max_element(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.ts < b.ts; })->ts;
      streaming.Push(Message::Watermark(max_ts + gap));
      EXPECT_EQ(streaming.session->state_windows(), 0);
      EXPECT_EQ(streaming.session->state_rows(), 0);
      EXPECT_EQ(streaming.session->late_rows(), 0);
      EXPECT_EQ(AsMap(streaming.out->messages), expected);
    }
  }
}

TEST(SessionWindowAggregate, LateRowsGoToTheSideOutput) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> late;
  WindowAggregateOptions options;
  options.late_sink = [&](std::shared_ptr<arrow::RecordBatch> rows) {
    late.push_back(std::move(rows));
    return Status::OK();
  };
  Harness h(Session(10), std::move(options));
  h.Push(R"([{"ts": 0, "k": "a", "v": 1}])");
  h.Push(Message::Watermark(30));
  EXPECT_EQ(AsMap(h.out->messages), (std::map<SessionKey, SumCount>{{{0, 10, "a"}, {1, 1}}}));
  // 5 would have extended [0, 10), which is gone; 25 + 10 > 30 opens a session; 15 and
  // 19 of key b form one run whose session [15, 29) is already over.
  h.Push(R"([{"ts": 5, "k": "a", "v": 2}, {"ts": 25, "k": "a", "v": 4}, {"ts": 19, "k": "b", "v": 8},
             {"ts": 15, "k": "b", "v": 16}])");
  EXPECT_EQ(h.session->late_rows(), 3);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0]->num_rows(), 3);
  EXPECT_EQ(h.session->state_windows(), 1);
  h.Push(Message::EndOfStream());
  EXPECT_EQ(AsMap(h.out->messages),
            (std::map<SessionKey, SumCount>{{{0, 10, "a"}, {1, 1}}, {{25, 35, "a"}, {4, 1}}}));
}

TEST(SessionWindowAggregate, AllowedLatenessReemitsExtendedAndMergedSessions) {
  Harness h(Session(10, /*lateness=*/50));
  h.Push(R"([{"ts": 0, "k": "a", "v": 1}, {"ts": 30, "k": "a", "v": 2}])");
  h.Push(Message::Watermark(45));
  EXPECT_EQ(AsMap(h.out->messages),
            (std::map<SessionKey, SumCount>{{{0, 10, "a"}, {1, 1}}, {{30, 40, "a"}, {2, 1}}}));
  EXPECT_EQ(h.session->state_windows(), 2);  // held for lateness

  // 8 extends [0, 10) to [0, 18): its update leaves at once (18 <= 45).
  size_t seen = h.out->messages.size();
  h.Push(R"([{"ts": 8, "k": "a", "v": 4}])");
  EXPECT_EQ(AsMap(h.out->messages, seen), (std::map<SessionKey, SumCount>{{{0, 18, "a"}, {5, 2}}}));
  EXPECT_EQ(h.session->late_rows(), 0);

  // 17 and 24 bridge [0, 18) and [30, 40): one update covering both.
  seen = h.out->messages.size();
  h.Push(R"([{"ts": 24, "k": "a", "v": 8}, {"ts": 17, "k": "a", "v": 16}])");
  EXPECT_EQ(AsMap(h.out->messages, seen), (std::map<SessionKey, SumCount>{{{0, 40, "a"}, {31, 5}}}));
  EXPECT_EQ(h.session->state_windows(), 1);
  EXPECT_EQ(h.session->state_rows(), 5);

  // 40 is a whole gap after 30: a session of its own. 39 extends [0, 40) past the
  // watermark, so its update waits for it: [0, 49) leaves at 49.
  seen = h.out->messages.size();
  h.Push(R"([{"ts": 39, "k": "a", "v": 32}])");
  EXPECT_TRUE(AsMap(h.out->messages, seen).empty());
  h.Push(Message::Watermark(48));
  EXPECT_TRUE(AsMap(h.out->messages, seen).empty());
  h.Push(Message::Watermark(49));
  EXPECT_EQ(AsMap(h.out->messages, seen), (std::map<SessionKey, SumCount>{{{0, 49, "a"}, {63, 6}}}));

  // Held until end + lateness = 99, then gone; a row for it then is late.
  h.Push(Message::Watermark(98));
  EXPECT_EQ(h.session->state_windows(), 1);
  h.Push(Message::Watermark(99));
  EXPECT_EQ(h.session->state_windows(), 0);
  EXPECT_EQ(h.session->state_rows(), 0);
  h.Push(R"([{"ts": 1, "k": "a", "v": 64}])");
  EXPECT_EQ(h.session->late_rows(), 1);
  EXPECT_EQ(h.session->state_windows(), 0);
}

TEST(SessionWindowAggregate, GlobalSessionsWithoutKeys) {
  auto op = MakeSessionWindowAggregate(InputSchema(), Session(10), {}, {{AF::kCountAll, "", "n"}}).ValueOrDie();
  RecordingOperator out(op->output_schema());
  op->ConnectTo(&out, 0);
  ASSERT_TRUE(op->Push(0, Message::Batch(BatchFromJson(InputSchema(), R"([{"ts": 0, "k": "a", "v": 1},
      {"ts": 5, "k": "b", "v": 1}, {"ts": 50, "k": "a", "v": 1}])"))).ok());
  ASSERT_TRUE(op->Push(0, Message::EndOfStream()).ok());
  auto table = out.Table();
  ASSERT_EQ(table->num_rows(), 2);
  EXPECT_EQ(table->schema()->field_names(), (std::vector<std::string>{"window_start", "window_end", "n"}));
  // In end order.
  auto ends = std::static_pointer_cast<arrow::TimestampArray>(table->column(1)->chunk(0));
  EXPECT_EQ(ends->Value(0), 15);
  EXPECT_EQ(ends->Value(1), 60);
}

TEST(SessionWindowAggregate, ErrorsNameWhatIsWrong) {
  auto gap = MakeSessionWindowAggregate(InputSchema(), Session(0), {"k"}, kAggregates);
  ASSERT_FALSE(gap.ok());
  EXPECT_NE(gap.status().message().find("gap must be positive"), std::string::npos) << gap.status().ToString();
  auto lateness = MakeSessionWindowAggregate(InputSchema(), Session(10, -1), {"k"}, kAggregates);
  EXPECT_NE(lateness.status().message().find("lateness"), std::string::npos) << lateness.status().ToString();
  WindowSpec wrong = Session(10);
  wrong.time_column = "v";
  auto type = MakeSessionWindowAggregate(InputSchema(), wrong, {"k"}, kAggregates);
  EXPECT_NE(type.status().message().find("window time column 'v': expected a timestamp"), std::string::npos)
      << type.status().ToString();
  wrong.time_column = "nope";
  auto missing = MakeSessionWindowAggregate(InputSchema(), wrong, {"k"}, kAggregates);
  EXPECT_NE(missing.status().message().find("'nope' does not exist"), std::string::npos) << missing.status().ToString();
  auto key = MakeSessionWindowAggregate(InputSchema(), Session(10), {"zz"}, kAggregates);
  EXPECT_NE(key.status().message().find("zz"), std::string::npos) << key.status().ToString();

  Harness h(Session(10));
  auto nulls = BatchFromJson(InputSchema(), R"([{"ts": 1, "k": "a", "v": 1}, {"ts": null, "k": "a", "v": 1}])");
  auto status = h.op->Push(0, Message::Batch(nulls)).status();
  EXPECT_NE(status.message().find("window time column 'ts' has a null event time at row 1"), std::string::npos)
      << status.ToString();
}

}  // namespace
}  // namespace sabot
