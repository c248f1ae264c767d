// GlobalWindowAggregate: a count trigger emits a key's result so far; the end of input
// emits every key's final result, equal to a plain GROUP BY.
#include <gtest/gtest.h>

#include "sabot/ops/global_window_aggregate.h"
#include "sabot/ops/tests/test_util.h"

namespace sabot {
namespace {

using testing::BatchFromJson;
using testing::RecordingOperator;
using testing::TableFromJson;

TEST(GlobalWindowAggregate, CountTriggerThenFinalResultAtTheEnd) {
  auto input = arrow::schema({arrow::field("k", arrow::utf8()), arrow::field("v", arrow::int64())});
  WindowSpec window;
  window.kind = WindowSpec::Kind::kGlobal;
  window.trigger_count = 2;
  auto op = MakeGlobalWindowAggregate(input, window, {"k"}, {{AggregateFunction::kSum, "v", "total"}});
  ASSERT_TRUE(op.ok()) << op.status();
  RecordingOperator out((*op)->output_schema());
  (*op)->ConnectTo(&out, 0);
  ASSERT_TRUE((*op)->Push(0, Message::Batch(BatchFromJson(input, R"([{"k": "a", "v": 1}, {"k": "b", "v": 10}])"))).ok());
  ASSERT_TRUE((*op)->Push(0, Message::Batch(BatchFromJson(input, R"([{"k": "a", "v": 2}])"))).ok());  // a fires
  ASSERT_TRUE((*op)->Push(0, Message::Watermark(1'000'000)).ok());  // a finite watermark closes nothing
  ASSERT_TRUE((*op)->Push(0, Message::Batch(BatchFromJson(input, R"([{"k": "a", "v": 4}])"))).ok());
  EXPECT_EQ((*op)->state_rows(), 2);
  ASSERT_TRUE((*op)->Push(0, Message::EndOfStream()).ok());
  EXPECT_TABLE_EQ(out.Table(), TableFromJson((*op)->output_schema(), R"([
      {"k": "a", "total": 3},
      {"k": "a", "total": 7}, {"k": "b", "total": 10}])"));
  EXPECT_EQ(out.Controls(), (std::vector<std::string>{"Watermark(1000000)", "EndOfStream"}));
}

TEST(GlobalWindowAggregate, NegativeTriggerIsAnError) {
  auto input = arrow::schema({arrow::field("v", arrow::int64())});
  WindowSpec window;
  window.kind = WindowSpec::Kind::kGlobal;
  window.trigger_count = -1;
  auto op = MakeGlobalWindowAggregate(input, window, {}, {{AggregateFunction::kCountAll, "", "n"}});
  ASSERT_FALSE(op.ok());
  EXPECT_NE(op.status().message().find("count trigger"), std::string::npos) << op.status();
}

}  // namespace
}  // namespace sabot
