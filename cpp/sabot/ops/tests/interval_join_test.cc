// Interval join: matches as rows arrive on either side, the interval's ends inclusive,
// null keys, state released by watermarks, streaming == a nested-loop reference over
// random batches and watermarks, and errors.
#include <algorithm>
#include <random>
#include <tuple>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/ops/interval_join.h"
#include "sabot/ops/tests/event_time_join_test_util.h"

namespace sabot {
namespace {

using testing::EventRow;
using testing::JoinHarness;
using testing::KeyTimeIdBatch;
using testing::RandomEventRows;

std::shared_ptr<arrow::Schema> Schema() { return testing::KeyTimeIdSchema(); }

IntervalJoinSpec Spec(int64_t lower, int64_t upper) {
  IntervalJoinSpec spec;
  spec.left_keys = {"k"};
  spec.right_keys = {"k"};
  spec.left_time = "ts";
  spec.right_time = "ts";
  spec.lower_us = lower;
  spec.upper_us = upper;
  return spec;
}

using Pair = std::pair<int64_t, int64_t>;  // left id, right id

struct Harness : JoinHarness {
  explicit Harness(const IntervalJoinSpec& spec)
      : JoinHarness(MakeIntervalJoin(Schema(), Schema(), spec).ValueOrDie()),
        join(dynamic_cast<IntervalJoinOperator*>(op.get())) {}
  using JoinHarness::Push;
  void Push(int port, const std::string& json) { JoinHarness::Push(port, Schema(), json); }
  std::vector<Pair> Pairs() const { return JoinHarness::Pairs(2, 5); }
  IntervalJoinOperator* join;
};

TEST(IntervalJoin, OutputSchemaSuffixesTheRightSide) {
  Harness h(Spec(-5, 10));
  EXPECT_EQ(h.op->name(), "IntervalJoin");
  EXPECT_EQ(h.op->num_inputs(), 2);
  EXPECT_EQ(h.op->output_schema()->field_names(),
            (std::vector<std::string>{"k", "ts", "id", "k_right", "ts_right", "id_right"}));
}

TEST(IntervalJoin, MatchesAsRowsArriveOnEitherSideWithInclusiveEnds) {
  Harness h(Spec(-5, 10));  // right.ts BETWEEN left.ts - 5 AND left.ts + 10
  h.Push(0, R"([{"k": 1, "ts": 100, "id": 1}, {"k": 2, "ts": 100, "id": 2}, {"k": null, "ts": 100, "id": 3}])");
  EXPECT_TRUE(h.Pairs().empty());
  // 95 and 110 are the ends; 94 and 111 are outside; key 2 and null do not match key 1.
  h.Push(1, R"([{"k": 1, "ts": 95, "id": 10}, {"k": 1, "ts": 110, "id": 11}, {"k": 1, "ts": 94, "id": 12},
                {"k": 1, "ts": 111, "id": 13}, {"k": null, "ts": 100, "id": 14}])");
  EXPECT_EQ(h.Pairs(), (std::vector<Pair>{{1, 10}, {1, 11}}));
  // A later left row matches held right rows: 104 takes [99, 114].
  h.Push(0, R"([{"k": 1, "ts": 104, "id": 4}])");
  EXPECT_EQ(h.Pairs(), (std::vector<Pair>{{1, 10}, {1, 11}, {4, 11}, {4, 13}}));
  const auto& batch = *h.out->messages.back().batch();
  EXPECT_EQ(batch.schema()->field_names()[3], "k_right");
  EXPECT_EQ(static_cast<const arrow::Int64Array&>(*batch.column(0)).Value(0), 1);
}

TEST(IntervalJoin, WatermarksReleaseStateAndLeaveAsTheMinimum) {
  Harness h(Spec(-5, 10));
  h.Push(0, R"([{"k": 1, "ts": 100, "id": 1}, {"k": 1, "ts": 200, "id": 2}])");
  h.Push(1, R"([{"k": 1, "ts": 150, "id": 10}])");
  EXPECT_EQ(h.join->state_rows(), 3);
  h.Push(0, Message::Watermark(150));
  EXPECT_TRUE(h.out->Controls().empty());  // the right side has no watermark yet
  // The right row at 150 waits for left rows up to 150 + 5: still held.
  EXPECT_EQ(h.join->state_rows(), 3);
  h.Push(1, Message::Watermark(110));  // left 100 needs right rows up to 110: gone
  EXPECT_EQ(h.join->state_rows(), 2);
  EXPECT_EQ(h.out->Controls(), (std::vector<std::string>{"Watermark(110)"}));
  h.Push(0, Message::Watermark(155));  // right 150 gone
  EXPECT_EQ(h.join->state_rows(), 1);
  EXPECT_EQ(h.join->state_batches(), 1);
  h.Push(1, Message::Watermark(210));  // left 200 gone
  EXPECT_EQ(h.join->state_rows(), 0);
  EXPECT_EQ(h.join->state_batches(), 0);
  EXPECT_EQ(h.out->Controls(), (std::vector<std::string>{"Watermark(110)", "Watermark(155)"}));
  // Rows the other side's watermark already rules out are not held at all.
  h.Push(0, R"([{"k": 1, "ts": 190, "id": 3}])");
  EXPECT_EQ(h.join->state_rows(), 0);
  h.Push(0, Message::EndOfStream());
  h.Push(1, R"([{"k": 1, "ts": 300, "id": 11}])");  // no left rows can come any more
  EXPECT_EQ(h.join->state_rows(), 0);
  h.Push(1, Message::EndOfStream());
  EXPECT_EQ(h.out->Controls(), (std::vector<std::string>{"Watermark(110)", "Watermark(155)", "Watermark(210)",
                                                         "EndOfStream"}));
  EXPECT_TRUE(h.Pairs().empty());
}

TEST(IntervalJoin, StreamingEqualsNestedLoopOverRandomBatchesAndWatermarks) {
  const int64_t bound = 200;  // out-of-orderness of each side
  for (auto [lower, upper] : {std::pair<int64_t, int64_t>{-50, 50}, {0, 300}, {-400, -100}, {7, 7}}) {
    for (uint64_t seed = 1; seed <= 4; ++seed) {
      SCOPED_TRACE("lower " + std::to_string(lower) + " upper " + std::to_string(upper) + " seed " +
                   std::to_string(seed));
      std::mt19937_64 rng(seed);
      const std::vector<EventRow> sides[2] = {RandomEventRows(rng, 600, 0, 6, 20, bound),
                                              RandomEventRows(rng, 600, 10000, 6, 20, bound)};
      std::vector<Pair> expected;
      for (const auto& l : sides[0]) {
        for (const auto& r : sides[1]) {
          if (l.k == r.k && r.ts >= l.ts + lower && r.ts <= l.ts + upper) expected.emplace_back(l.id, r.id);
        }
      }
      std::sort(expected.begin(), expected.end());

      Harness h(Spec(lower, upper));
      const int64_t peak = h.PushInterleaved(
          sides, rng, bound, [&](int side, size_t begin, size_t end) { return KeyTimeIdBatch(sides[side], begin, end); });
      h.Push(0, Message::Watermark(1'000'000));
      h.Push(1, Message::Watermark(1'000'000));
      EXPECT_EQ(h.join->state_rows(), 0);
      EXPECT_LT(peak, 1200) << "watermarks should have released rows along the way";
      EXPECT_EQ(h.Pairs(), expected);
    }
  }
}

TEST(IntervalJoin, ErrorsNameWhatIsWrong) {
  auto bounds = MakeIntervalJoin(Schema(), Schema(), Spec(10, -10));
  ASSERT_FALSE(bounds.ok());
  EXPECT_NE(bounds.status().message().find("lower bound (10 us) is above the upper bound"), std::string::npos);
  IntervalJoinSpec time = Spec(0, 1);
  time.right_time = "id";
  auto wrong_time = MakeIntervalJoin(Schema(), Schema(), time);
  EXPECT_NE(wrong_time.status().message().find("right time column 'id': expected a timestamp"), std::string::npos)
      << wrong_time.status().ToString();
  IntervalJoinSpec key = Spec(0, 1);
  key.right_keys = {"nope"};
  auto missing = MakeIntervalJoin(Schema(), Schema(), key);
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos) << missing.status().ToString();
  auto int32_right = arrow::schema({arrow::field("k", arrow::int32()),
                                    arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO))});
  auto types = MakeIntervalJoin(Schema(), int32_right, Spec(0, 1));
  EXPECT_NE(types.status().message().find("interval join key 0: left k is int64, right k is int32"), std::string::npos)
      << types.status().ToString();
}

}  // namespace
}  // namespace sabot
