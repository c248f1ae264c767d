// KeyedProcess: a process function that counts rows per key and tumbling window with
// per-key state and event-time timers gives what WindowAggregate gives.
#include <gtest/gtest.h>

#include <map>

#include <arrow/api.h>

#include "sabot/exec/event_time.h"
#include "sabot/ops/keyed_process.h"
#include "sabot/ops/tests/test_util.h"
#include "sabot/ops/window_aggregate.h"
#include "sabot/plan/stream.h"
#include "sabot/runtime/run.h"

namespace sabot {
namespace {

using testing::RecordingOperator;

// Per key: a count per tumbling window in value state "n@<end>", a timer at each
// window's end that emits (key, window_end, n) and clears the count.
class TumblingCount final : public KeyedProcessFunction {
 public:
  explicit TumblingCount(int64_t size_us) : size_us_(size_us) {}
  std::string name() const override { return "tumbling_count"; }

  Result<std::shared_ptr<arrow::Schema>> OutputSchema(const arrow::Schema& input) override {
    time_column_ = input.GetFieldIndex("ts");
    return arrow::schema({arrow::field("key", arrow::int64()),
                          arrow::field("window_end", arrow::timestamp(arrow::TimeUnit::MICRO)),
                          arrow::field("n", arrow::int64())});
  }

  Status ProcessRows(const std::shared_ptr<arrow::RecordBatch>& rows, KeyedProcessContext& context) override {
    ARROW_RETURN_NOT_OK(ReadEventTimes(*rows->column(time_column_), "ts", &times_));
    std::map<int64_t, int64_t> by_end;
    for (int64_t t : times_) ++by_end[FloorDiv(t, size_us_) * size_us_ + size_us_];
    for (const auto& [end, count] : by_end) {
      if (end <= context.watermark()) continue;  // late
      const std::string name = "n@" + std::to_string(end);
      context.SetValue<int64_t>(name, context.Value<int64_t>(name).value_or(0) + count);
      context.RegisterEventTimeTimer(end);
    }
    return Status::OK();
  }

  Status OnTimer(EventTime time, KeyedProcessContext& context) override {
    const std::string name = "n@" + std::to_string(time);
    const int64_t n = context.Value<int64_t>(name).value_or(0);
    context.ClearValue(name);
    arrow::TimestampBuilder ends(arrow::timestamp(arrow::TimeUnit::MICRO), arrow::default_memory_pool());
    ARROW_RETURN_NOT_OK(ends.Append(time));
    ARROW_ASSIGN_OR_RAISE(auto end, ends.Finish());
    ARROW_ASSIGN_OR_RAISE(auto count, arrow::MakeArrayFromScalar(arrow::Int64Scalar(n), 1));
    auto schema = arrow::schema({arrow::field("key", arrow::int64()),
                                 arrow::field("window_end", arrow::timestamp(arrow::TimeUnit::MICRO)),
                                 arrow::field("n", arrow::int64())});
    context.Emit(arrow::RecordBatch::Make(schema, 1, {context.key_row()->column(0), end, count}));
    return Status::OK();
  }

 private:
  int64_t size_us_;
  int time_column_ = -1;
  std::vector<int64_t> times_;
};

// (key, window_end, n) rows of a table, sorted.
std::vector<std::tuple<int64_t, int64_t, int64_t>> Rows(const arrow::Table& table) {
  auto combined = table.CombineChunksToBatch().ValueOrDie();
  const auto& key = static_cast<const arrow::Int64Array&>(*combined->GetColumnByName("key"));
  const auto& end = static_cast<const arrow::TimestampArray&>(*combined->GetColumnByName("window_end"));
  const auto& n = static_cast<const arrow::Int64Array&>(*combined->GetColumnByName("n"));
  std::vector<std::tuple<int64_t, int64_t, int64_t>> rows;
  for (int64_t i = 0; i < combined->num_rows(); ++i) rows.emplace_back(key.Value(i), end.Value(i), n.Value(i));
  std::sort(rows.begin(), rows.end());
  return rows;
}

TEST(KeyedProcess, TimersAndValueStateGiveWhatWindowAggregateGives) {
  GeneratorOptions gen;
  gen.rows = 30'000;
  gen.batch_size = 1'000;
  gen.num_keys = 7;
  gen.max_out_of_orderness_us = 50'000;
  auto input = RunPlan(*Stream::Generate(gen).Collect());
  ASSERT_TRUE(input.ok()) << input.status();
  const auto schema = input->schema;
  const int64_t size = 1'000'000;

  KeyedProcessOptions options;
  options.num_key_groups = 16;
  auto keyed = MakeKeyedProcess(schema, {"key"}, std::make_unique<TumblingCount>(size), options);
  ASSERT_TRUE(keyed.ok()) << keyed.status();
  WindowSpec window;
  window.time_column = "ts";
  window.size_us = size;
  auto windowed = MakeWindowAggregate(schema, window, {"key"}, {{AggregateFunction::kCountAll, "", "n"}});
  ASSERT_TRUE(windowed.ok()) << windowed.status();
  RecordingOperator keyed_out((*keyed)->output_schema()), windowed_out((*windowed)->output_schema());
  (*keyed)->ConnectTo(&keyed_out, 0);
  (*windowed)->ConnectTo(&windowed_out, 0);

  // The generator's watermark after each batch: max event time - out-of-orderness.
  int64_t max_ts = std::numeric_limits<int64_t>::min();
  int64_t peak_state = 0;
  std::vector<int64_t> times;
  for (const auto& batch : input->collected) {
    ASSERT_TRUE(ReadEventTimes(*batch->GetColumnByName("ts"), "ts", &times).ok());
    for (int64_t t : times) max_ts = std::max(max_ts, t);
    for (auto* op : {keyed->get(), windowed->get()}) {
      ASSERT_TRUE(op->Push(0, Message::Batch(batch)).ok());
      ASSERT_TRUE(op->Push(0, Message::Watermark(max_ts - gen.max_out_of_orderness_us)).ok());
    }
    peak_state = std::max(peak_state, (*keyed)->state_rows());
  }
  EXPECT_GT(peak_state, 0);
  for (auto* op : {keyed->get(), windowed->get()}) ASSERT_TRUE(op->Push(0, Message::EndOfStream()).ok());
  EXPECT_EQ(Rows(*keyed_out.Table()), Rows(*windowed_out.Table()));
  EXPECT_EQ((*keyed)->state_rows(), 0);  // every window fired and cleared its count
}

TEST(KeyedProcess, KeyColumnsMustExist) {
  auto schema = arrow::schema({arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO))});
  auto op = MakeKeyedProcess(schema, {"user"}, std::make_unique<TumblingCount>(1));
  ASSERT_FALSE(op.ok());
  EXPECT_NE(op.status().message().find("'user'"), std::string::npos) << op.status();
}

class TumblingCountFactory final : public KeyedProcessFactory {
 public:
  std::string name() const override { return "tumbling_count"; }
  std::unique_ptr<KeyedProcessFunction> Make() const override { return std::make_unique<TumblingCount>(1'000'000); }
};

TEST(KeyedProcess, PlanNodeKeepsItsTtlThroughRewritesAndShowsIt) {
  GeneratorOptions gen;
  gen.rows = 10;
  const Stream source = Stream::Generate(gen);
  const Stream process = source.KeyedProcess({"key"}, std::make_shared<TumblingCountFactory>(), 5'000'000);
  const auto& node = static_cast<const KeyedProcessNode&>(*process.node());
  EXPECT_EQ(node.Describe(), "KeyedProcess tumbling_count by key ttl 5000000us");
  // Optimizer rules rebuild nodes over new inputs; the TTL must survive that.
  auto rebuilt = WithInputs(node, {source.node()});
  ASSERT_EQ(rebuilt->kind(), PlanKind::kKeyedProcess);
  EXPECT_EQ(static_cast<const KeyedProcessNode&>(*rebuilt).state_ttl_us, 5'000'000);
  EXPECT_EQ(rebuilt->Describe(), node.Describe());
}

}  // namespace
}  // namespace sabot
