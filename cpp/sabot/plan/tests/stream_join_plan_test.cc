// The event-time stream joins (as-of, window, temporal) in plans: explain text, the JSON
// form round-tripping, and errors of hand-written plan files.
#include <gtest/gtest.h>

#include "sabot/plan/plan_json.h"
#include "sabot/plan/stream.h"

namespace sabot {
namespace {

// Serializes `plan`, reads it back, and checks nothing was lost.
void ExpectRoundTrip(const PlanNode& plan) {
  auto text = SerializePlan(plan);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  auto back = DeserializePlan(*text);
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << *text;
  EXPECT_EQ(Explain(**back), Explain(plan));
  EXPECT_EQ(*SerializePlan(**back), *text);
}

Stream Endless() {
  GeneratorOptions g;
  g.rows = -1;
  return Stream::Generate(g);
}

TEST(StreamJoinPlan, AsofJoinExplainsAndRoundTrips) {
  AsofJoinSpec spec;
  spec.type = JoinType::kLeft;
  spec.left_keys = {"key"};
  spec.right_keys = {"key"};
  spec.left_time = "ts";
  spec.right_time = "ts";
  spec.tolerance_us = 5'000;
  auto plan = Endless().AsofJoin(Endless(), spec).WriteJson("out.jsonl");
  EXPECT_EQ(plan->input()->Describe(), "AsofJoin left on key = key, latest right.ts <= left.ts within 5000us");
  ExpectRoundTrip(*plan);
  EXPECT_FALSE(IsBounded(*plan));
  spec.tolerance_us.reset();
  spec.type = JoinType::kInner;
  auto no_tolerance = Endless().AsofJoin(Endless(), spec).WriteJson("out.jsonl");
  EXPECT_EQ(no_tolerance->input()->Describe(), "AsofJoin inner on key = key, latest right.ts <= left.ts");
  ExpectRoundTrip(*no_tolerance);

  auto one_input = DeserializePlan(R"({"sabot_plan_version": 1, "plan": {"op": "asof_join",
      "left_keys": ["k"], "right_keys": ["k"], "left_time": "ts", "right_time": "ts",
      "inputs": [{"op": "source", "format": "csv", "path": "a.csv"}]}})");
  ASSERT_FALSE(one_input.ok());
  EXPECT_NE(one_input.status().message().find("an as-of join needs two inputs"), std::string::npos)
      << one_input.status().message();
  auto bad_type = DeserializePlan(R"({"sabot_plan_version": 1, "plan": {"op": "asof_join", "type": "sideways",
      "left_keys": ["k"], "right_keys": ["k"], "left_time": "ts", "right_time": "ts", "inputs": []}})");
  ASSERT_FALSE(bad_type.ok());
  EXPECT_NE(bad_type.status().message().find("sideways"), std::string::npos) << bad_type.status().message();
}

TEST(StreamJoinPlan, WindowJoinExplainsAndRoundTrips) {
  WindowJoinSpec spec;
  spec.left_keys = {"key"};
  spec.right_keys = {"key"};
  spec.left_time = "ts";
  spec.right_time = "ts";
  spec.size_us = 10'000;
  spec.slide_us = 10'000;
  auto tumbling = Endless().WindowJoin(Endless(), spec).WriteJson("out.jsonl");
  EXPECT_EQ(tumbling->input()->Describe(), "WindowJoin tumbling 10000us on key = key, windows of left.ts and right.ts");
  ExpectRoundTrip(*tumbling);
  spec.slide_us = 2'500;
  auto sliding = Endless().WindowJoin(Endless(), spec).WriteJson("out.jsonl");
  EXPECT_EQ(sliding->input()->Describe(),
            "WindowJoin sliding 10000us every 2500us on key = key, windows of left.ts and right.ts");
  ExpectRoundTrip(*sliding);

  auto no_size = DeserializePlan(R"({"sabot_plan_version": 1, "plan": {"op": "window_join",
      "left_keys": ["k"], "right_keys": ["k"], "left_time": "ts", "right_time": "ts", "inputs": []}})");
  ASSERT_FALSE(no_size.ok());
  EXPECT_NE(no_size.status().message().find("size_us"), std::string::npos) << no_size.status().message();
}

TEST(StreamJoinPlan, TemporalJoinExplainsAndRoundTrips) {
  TemporalJoinSpec spec;
  spec.type = JoinType::kLeft;
  spec.left_keys = {"key"};
  spec.right_keys = {"key"};
  spec.left_time = "ts";
  spec.version_time = "valid_from";
  spec.op_column = "op";
  auto plan = Endless().TemporalJoin(Endless(), spec).WriteJson("out.jsonl");
  EXPECT_EQ(plan->input()->Describe(),
            "TemporalJoin left on key = key, right versioned by right.valid_from as of left.ts, changelog op right.op");
  ExpectRoundTrip(*plan);
  spec.op_column.clear();
  auto plain = Endless().TemporalJoin(Endless(), spec).WriteJson("out.jsonl");
  EXPECT_EQ(plain->input()->Describe(), "TemporalJoin left on key = key, right versioned by right.valid_from as of left.ts");
  ExpectRoundTrip(*plain);

  auto no_version = DeserializePlan(R"({"sabot_plan_version": 1, "plan": {"op": "temporal_join",
      "left_keys": ["k"], "right_keys": ["k"], "left_time": "ts", "inputs": []}})");
  ASSERT_FALSE(no_version.ok());
  EXPECT_NE(no_version.status().message().find("version_time"), std::string::npos) << no_version.status().message();
}

}  // namespace
}  // namespace sabot
