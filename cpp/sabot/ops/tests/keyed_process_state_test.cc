// KeyedProcess state beyond values: list and map state across batches and keys,
// processing-time timers on an injected clock, and event-time state TTL.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include <arrow/api.h>

#include "sabot/ops/keyed_process.h"
#include "sabot/ops/tests/test_util.h"

namespace sabot {
namespace {

using testing::BatchFromJson;
using testing::RecordingOperator;

const auto kInput = arrow::schema({arrow::field("key", arrow::int64()), arrow::field("v", arrow::int64())});
const auto kOutput = arrow::schema({arrow::field("key", arrow::int64()), arrow::field("a", arrow::int64()),
                                    arrow::field("b", arrow::utf8())});

std::shared_ptr<arrow::RecordBatch> OutputRow(const KeyedProcessContext& context, int64_t a, const std::string& b) {
  return arrow::RecordBatch::Make(kOutput, 1,
                                  {context.key_row()->column(0),
                                   arrow::MakeArrayFromScalar(arrow::Int64Scalar(a), 1).ValueOrDie(),
                                   arrow::MakeArrayFromScalar(arrow::StringScalar(b), 1).ValueOrDie()});
}

// (key, a, b) rows of an output table, in output order.
std::vector<std::tuple<int64_t, int64_t, std::string>> Rows(const arrow::Table& table) {
  auto combined = table.CombineChunksToBatch().ValueOrDie();
  const auto& key = static_cast<const arrow::Int64Array&>(*combined->column(0));
  const auto& a = static_cast<const arrow::Int64Array&>(*combined->column(1));
  const auto& b = static_cast<const arrow::StringArray&>(*combined->column(2));
  std::vector<std::tuple<int64_t, int64_t, std::string>> rows;
  for (int64_t i = 0; i < combined->num_rows(); ++i) rows.emplace_back(key.Value(i), a.Value(i), b.GetString(i));
  return rows;
}

// Per key: the last three values in list state "last", a count per value mod 3 in map
// state "mod" (a value divisible by 5 erases its residue instead), and one timer at the
// end of input that emits (key, sum of the last three, "r0=n,r2=n,...").
class LastThreeAndResidues final : public KeyedProcessFunction {
 public:
  std::string name() const override { return "last_three"; }
  Result<std::shared_ptr<arrow::Schema>> OutputSchema(const arrow::Schema&) override { return kOutput; }

  Status ProcessRows(const std::shared_ptr<arrow::RecordBatch>& rows, KeyedProcessContext& context) override {
    const auto& v = static_cast<const arrow::Int64Array&>(*rows->column(1));
    for (int64_t i = 0; i < rows->num_rows(); ++i) {
      context.AppendToList<int64_t>("last", v.Value(i));
      auto last = context.List<int64_t>("last");
      if (last.size() > 3) context.SetList("last", std::vector<int64_t>(last.end() - 3, last.end()));
      const std::string residue = "r" + std::to_string(v.Value(i) % 3);
      if (v.Value(i) % 5 == 0) {
        context.MapErase("mod", residue);
      } else {
        context.MapPut<int64_t>("mod", residue, context.MapGet<int64_t>("mod", residue).value_or(0) + 1);
      }
    }
    context.RegisterEventTimeTimer(kMaxWatermark);
    return Status::OK();
  }

  Status OnTimer(EventTime, KeyedProcessContext& context) override {
    int64_t sum = 0;
    for (int64_t x : context.List<int64_t>("last")) sum += x;
    std::string counts;
    for (const auto& [residue, n] : context.MapEntries<int64_t>("mod")) {
      counts += (counts.empty() ? "" : ",") + residue + "=" + std::to_string(n);
    }
    context.Emit(OutputRow(context, sum, counts));
    context.ClearList("last");
    context.ClearMap("mod");
    return Status::OK();
  }
};

TEST(KeyedProcessState, ListAndMapStateAcrossBatchesAndKeys) {
  std::mt19937_64 rng(7);
  std::map<int64_t, std::vector<int64_t>> values;  // the reference: every value per key
  auto op = MakeKeyedProcess(kInput, {"key"}, std::make_unique<LastThreeAndResidues>());
  ASSERT_TRUE(op.ok()) << op.status();
  RecordingOperator out((*op)->output_schema());
  (*op)->ConnectTo(&out, 0);
  for (int batch = 0; batch < 20; ++batch) {
    arrow::Int64Builder keys, vs;
    const int rows = static_cast<int>(rng() % 40);  // some batches are empty
    for (int i = 0; i < rows; ++i) {
      const int64_t key = static_cast<int64_t>(rng() % 6), v = static_cast<int64_t>(rng() % 100);
      ASSERT_TRUE(keys.Append(key).ok() && vs.Append(v).ok());
      values[key].push_back(v);
    }
    auto batch_rows = arrow::RecordBatch::Make(kInput, rows, {keys.Finish().ValueOrDie(), vs.Finish().ValueOrDie()});
    ASSERT_TRUE((*op)->Push(0, Message::Batch(batch_rows)).ok());
  }
  const auto& store = static_cast<const KeyedProcessOperator&>(**op).store();
  EXPECT_EQ(store.num_keys(), static_cast<int64_t>(values.size()));
  ASSERT_TRUE((*op)->Push(0, Message::EndOfStream()).ok());

  std::vector<std::tuple<int64_t, int64_t, std::string>> want;
  for (const auto& [key, vs] : values) {
    int64_t sum = 0;
    for (size_t i = vs.size() > 3 ? vs.size() - 3 : 0; i < vs.size(); ++i) sum += vs[i];
    std::map<std::string, int64_t> mod;
    for (int64_t v : vs) {
      const std::string residue = "r" + std::to_string(v % 3);
      if (v % 5 == 0) {
        mod.erase(residue);
      } else {
        ++mod[residue];
      }
    }
    std::string counts;
    for (const auto& [residue, n] : mod) counts += (counts.empty() ? "" : ",") + residue + "=" + std::to_string(n);
    want.emplace_back(key, sum, counts);
  }
  auto got = Rows(*out.Table());
  std::sort(got.begin(), got.end());  // the timers share one time: their order is by key group
  EXPECT_EQ(got, want);
  EXPECT_EQ((*op)->state_rows(), 0);  // the timers cleared every list and map
}

// Per key on its first rows: a processing-time timer `delay * key` after the clock's
// now, and an event-time timer at 1000; each timer emits (key, time, domain).
class ClockProbe final : public KeyedProcessFunction {
 public:
  explicit ClockProbe(int64_t delay) : delay_(delay) {}
  std::string name() const override { return "clock_probe"; }
  Result<std::shared_ptr<arrow::Schema>> OutputSchema(const arrow::Schema&) override { return kOutput; }
  Status ProcessRows(const std::shared_ptr<arrow::RecordBatch>& rows, KeyedProcessContext& context) override {
    const int64_t key = static_cast<const arrow::Int64Array&>(*rows->column(0)).Value(0);
    context.RegisterProcessingTimeTimer(context.processing_time() + delay_ * key);
    context.RegisterEventTimeTimer(1000);
    return Status::OK();
  }
  Status OnTimer(EventTime time, KeyedProcessContext& context) override {
    context.Emit(OutputRow(context, time,
                           context.time_domain() == TimeDomain::kProcessingTime ? "processing" : "event"));
    return Status::OK();
  }

 private:
  int64_t delay_;
};

TEST(KeyedProcessState, ProcessingTimeTimersFireOnTheMessageAfterTheClockPassesThem) {
  int64_t now = 10'000;
  KeyedProcessOptions options;
  options.clock = [&now] { return now; };
  auto made = MakeKeyedProcess(kInput, {"key"}, std::make_unique<ClockProbe>(100), options);
  ASSERT_TRUE(made.ok()) << made.status();
  auto* op = static_cast<KeyedProcessOperator*>(made->get());
  RecordingOperator out(op->output_schema());
  op->ConnectTo(&out, 0);
  using Row = std::tuple<int64_t, int64_t, std::string>;

  // Timers at 10'100 (key 1), 10'200 (key 2), 10'300 (key 3).
  ASSERT_TRUE(op->Push(0, Message::Batch(BatchFromJson(kInput, R"([[3, 0], [1, 0], [2, 0]])"))).ok());
  EXPECT_EQ(op->store().num_timers(TimeDomain::kProcessingTime), 3);
  now = 10'099;  // not yet
  ASSERT_TRUE(op->Push(0, Message::Watermark(5)).ok());
  EXPECT_EQ(out.Table()->num_rows(), 0);
  now = 10'250;  // keys 1 and 2 are due: a barrier is enough to fire them, in time order
  ASSERT_TRUE(op->Push(0, Message::CheckpointBarrier(1)).ok());
  EXPECT_EQ(Rows(*out.Table()), (std::vector<Row>{{1, 10'100, "processing"}, {2, 10'200, "processing"}}));
  // The timers' output leaves before the barrier it fired on.
  ASSERT_GE(out.messages.size(), 2u);
  EXPECT_TRUE(out.messages[out.messages.size() - 2].is_batch());
  EXPECT_EQ(out.Controls(), (std::vector<std::string>{"Watermark(5)", "CheckpointBarrier(1)"}));
  now = 10'300;  // an Idle message fires key 3 (due at exactly now)
  ASSERT_TRUE(op->Push(0, Message::Idle()).ok());
  EXPECT_EQ(std::get<0>(Rows(*out.Table()).back()), 3);

  // Key 1 at 10'300 gets 10'400. The end of input fires the event-time timers (1000),
  // then every processing-time one left, whatever the clock says.
  ASSERT_TRUE(op->Push(0, Message::Batch(BatchFromJson(kInput, R"([[1, 0]])"))).ok());
  ASSERT_TRUE(op->Push(0, Message::EndOfStream()).ok());
  auto rows = Rows(*out.Table());
  ASSERT_EQ(rows.size(), 7u);
  std::sort(rows.begin() + 3, rows.begin() + 6);  // one time: ordered by key group, not key
  EXPECT_EQ(std::vector<Row>(rows.begin() + 3, rows.end()),
            (std::vector<Row>{{1, 1000, "event"}, {2, 1000, "event"}, {3, 1000, "event"}, {1, 10'400, "processing"}}));
  EXPECT_EQ(op->state_rows(), 0);
}

// Per batch of a key: count += rows in value state "n", emit (key, n, "rows"); keys
// listed in `timers` also get an event-time timer then, which emits (key, n or -1, "timer@t").
class CountWithTimers final : public KeyedProcessFunction {
 public:
  explicit CountWithTimers(std::map<int64_t, EventTime> timers) : timers_(std::move(timers)) {}
  std::string name() const override { return "count"; }
  Result<std::shared_ptr<arrow::Schema>> OutputSchema(const arrow::Schema&) override { return kOutput; }
  Status ProcessRows(const std::shared_ptr<arrow::RecordBatch>& rows, KeyedProcessContext& context) override {
    const int64_t key = static_cast<const arrow::Int64Array&>(*rows->column(0)).Value(0);
    const int64_t n = context.Value<int64_t>("n").value_or(0) + rows->num_rows();
    context.SetValue("n", n);
    context.Emit(OutputRow(context, n, "rows"));
    if (auto timer = timers_.find(key); timer != timers_.end()) context.RegisterEventTimeTimer(timer->second);
    return Status::OK();
  }
  Status OnTimer(EventTime time, KeyedProcessContext& context) override {
    context.Emit(OutputRow(context, context.Value<int64_t>("n").value_or(-1), "timer@" + std::to_string(time)));
    return Status::OK();
  }

 private:
  std::map<int64_t, EventTime> timers_;
};

TEST(KeyedProcessState, TtlClearsKeysNotWrittenForTheTtlAndTheirTimers) {
  KeyedProcessOptions options;
  options.state_ttl_us = 100;
  // Key 3's timer (1100) comes before its TTL runs out (last write 1000 + 100: alive at
  // 1100), key 4's (1110) after it: that one must never fire. Key 2's (1200) lies past
  // the watermarks until the end.
  auto op = MakeKeyedProcess(kInput, {"key"},
                             std::make_unique<CountWithTimers>(std::map<int64_t, EventTime>{
                                 {2, 1200}, {3, 1100}, {4, 1110}}),
                             options);
  ASSERT_TRUE(op.ok()) << op.status();
  auto& keyed = static_cast<KeyedProcessOperator&>(**op);
  RecordingOperator out(keyed.output_schema());
  keyed.ConnectTo(&out, 0);
  using Row = std::tuple<int64_t, int64_t, std::string>;

  // Written before the first watermark: they count as written at it (1000).
  ASSERT_TRUE(keyed.Push(0, Message::Batch(BatchFromJson(kInput, R"([[1, 0], [2, 0], [3, 0], [4, 0]])"))).ok());
  ASSERT_TRUE(keyed.Push(0, Message::Watermark(1000)).ok());
  ASSERT_TRUE(keyed.Push(0, Message::Watermark(1090)).ok());  // cutoff 990: nothing yet
  EXPECT_EQ(keyed.expired_keys(), 0);
  EXPECT_EQ(keyed.store().num_keys(), 4);
  ASSERT_TRUE(keyed.Push(0, Message::Batch(BatchFromJson(kInput, R"([[1, 0]])"))).ok());  // key 1 at 1090
  const size_t before = Rows(*out.Table()).size();
  ASSERT_TRUE(keyed.Push(0, Message::Watermark(1150)).ok());  // cutoff 1050
  auto rows = Rows(*out.Table());
  EXPECT_EQ(std::vector<Row>(rows.begin() + static_cast<long>(before), rows.end()),
            (std::vector<Row>{{3, 1, "timer@1100"}}));
  EXPECT_EQ(keyed.expired_keys(), 3);  // keys 2, 3, 4
  EXPECT_EQ(keyed.store().num_keys(), 1);
  EXPECT_EQ(keyed.store().num_timers(), 0);  // key 2's timer went with its state
  EXPECT_EQ(keyed.state_rows(), 1);

  // Key 2 comes back with fresh state (and its timer at 1200 again), key 5 is new; key 1
  // (written at 1090) expires at 1191.
  ASSERT_TRUE(keyed.Push(0, Message::Batch(BatchFromJson(kInput, R"([[2, 0], [5, 0], [2, 0]])"))).ok());
  rows = Rows(*out.Table());
  EXPECT_EQ(rows[rows.size() - 2], (Row{2, 2, "rows"}));
  ASSERT_TRUE(keyed.Push(0, Message::Watermark(1191)).ok());
  EXPECT_EQ(keyed.expired_keys(), 4);
  // The end of input fires key 2's timer (1200: its state, written at 1150, is alive
  // then) but expires nothing for its own infinite watermark: keys 2 and 5 stay.
  ASSERT_TRUE(keyed.Push(0, Message::EndOfStream()).ok());
  EXPECT_EQ(Rows(*out.Table()).back(), (Row{2, 2, "timer@1200"}));
  EXPECT_EQ(keyed.expired_keys(), 4);
  EXPECT_EQ(keyed.store().num_keys(), 2);
}

TEST(KeyedProcessState, WithoutTtlNothingExpires) {
  auto op = MakeKeyedProcess(kInput, {"key"}, std::make_unique<CountWithTimers>(std::map<int64_t, EventTime>{}));
  ASSERT_TRUE(op.ok()) << op.status();
  auto& keyed = static_cast<KeyedProcessOperator&>(**op);
  RecordingOperator out(keyed.output_schema());
  keyed.ConnectTo(&out, 0);
  ASSERT_TRUE(keyed.Push(0, Message::Batch(BatchFromJson(kInput, R"([[1, 0], [2, 0]])"))).ok());
  ASSERT_TRUE(keyed.Push(0, Message::Watermark(1'000'000'000)).ok());
  EXPECT_EQ(keyed.expired_keys(), 0);
  EXPECT_EQ(keyed.store().num_keys(), 2);
}

TEST(KeyedProcessState, NegativeTtlIsAnError) {
  KeyedProcessOptions options;
  options.state_ttl_us = -5;
  auto op = MakeKeyedProcess(kInput, {"key"}, std::make_unique<LastThreeAndResidues>(), options);
  ASSERT_FALSE(op.ok());
  EXPECT_NE(op.status().message().find("state TTL"), std::string::npos) << op.status();
  EXPECT_NE(op.status().message().find("'last_three'"), std::string::npos) << op.status();
}

}  // namespace
}  // namespace sabot
