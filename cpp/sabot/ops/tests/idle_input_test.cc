// Idle inputs: a union or interval join leaves an idle input out of its minimum watermark
// until the input speaks again.
#include <gtest/gtest.h>

#include "sabot/ops/tests/test_util.h"
#include "sabot/ops/interval_join.h"
#include "sabot/ops/union.h"

namespace sabot {
namespace {

using testing::RecordingOperator;

TEST(IdleInput, UnionWatermarkFollowsTheActiveInputsOnly) {
  auto schema = arrow::schema({arrow::field("x", arrow::int64())});
  UnionOperator op(schema, 2);
  RecordingOperator out(schema);
  op.ConnectTo(&out, 0);
  ASSERT_TRUE(op.Push(0, Message::Watermark(10)).ok());
  ASSERT_TRUE(op.Push(1, Message::Watermark(5)).ok());
  ASSERT_TRUE(op.Push(0, Message::Watermark(20)).ok());  // held back by input 1 at 5
  ASSERT_TRUE(op.Push(1, Message::Idle()).ok());          // input 1 idle: 20 passes
  ASSERT_TRUE(op.Push(0, Message::Watermark(30)).ok());
  ASSERT_TRUE(op.Push(1, Message::Watermark(25)).ok());  // active again, behind: nothing passes
  ASSERT_TRUE(op.Push(0, Message::Watermark(40)).ok());  // min 25: behind what passed, nothing
  EXPECT_EQ(out.Controls(), (std::vector<std::string>{"Watermark(5)", "Watermark(20)", "Watermark(30)"}));
}

TEST(IdleInput, AllInputsIdleMakeTheUnionIdleOnce) {
  auto schema = arrow::schema({arrow::field("x", arrow::int64())});
  UnionOperator op(schema, 2);
  RecordingOperator out(schema);
  op.ConnectTo(&out, 0);
  ASSERT_TRUE(op.Push(0, Message::Idle()).ok());
  ASSERT_TRUE(op.Push(1, Message::Idle()).ok());
  ASSERT_TRUE(op.Push(1, Message::Idle()).ok());
  ASSERT_TRUE(op.Push(0, Message::Watermark(7)).ok());
  EXPECT_EQ(out.Controls(), (std::vector<std::string>{"Idle", "Watermark(7)"}));
}

TEST(IdleInput, IntervalJoinWatermarkFollowsTheActiveSide) {
  auto side = arrow::schema({arrow::field("k", arrow::int64()),
                             arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO))});
  IntervalJoinSpec spec;
  spec.left_keys = spec.right_keys = {"k"};
  spec.left_time = spec.right_time = "ts";
  spec.lower_us = -10;
  spec.upper_us = 10;
  auto op = MakeIntervalJoin(side, side, spec);
  ASSERT_TRUE(op.ok()) << op.status();
  RecordingOperator out((*op)->output_schema());
  (*op)->ConnectTo(&out, 0);
  ASSERT_TRUE((*op)->Push(0, Message::Watermark(100)).ok());  // held back by the right side
  ASSERT_TRUE((*op)->Push(1, Message::Idle()).ok());          // right idle: 100 passes
  ASSERT_TRUE((*op)->Push(0, Message::Watermark(200)).ok());
  ASSERT_TRUE((*op)->Push(1, Message::Watermark(150)).ok());  // right active again, behind
  ASSERT_TRUE((*op)->Push(0, Message::Idle()).ok());          // left idle: right's 150 < 200
  ASSERT_TRUE((*op)->Push(1, Message::Watermark(300)).ok());
  EXPECT_EQ(out.Controls(), (std::vector<std::string>{"Watermark(100)", "Watermark(200)", "Watermark(300)"}));
}

}  // namespace
}  // namespace sabot
