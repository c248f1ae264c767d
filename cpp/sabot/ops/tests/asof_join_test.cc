// As-of join: the latest right row at or before each left row, tolerance, left vs inner,
// null keys, left rows waiting for the right watermark, right state pruned to what the
// left side can still need, streaming == a brute-force reference over random batches and
// watermarks, and errors.
#include <algorithm>
#include <optional>
#include <random>
#include <tuple>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/ops/asof_join.h"
#include "sabot/ops/tests/event_time_join_test_util.h"

namespace sabot {
namespace {

using testing::EventRow;
using testing::JoinHarness;
using testing::KeyTimeIdBatch;
using testing::RandomEventRows;

std::shared_ptr<arrow::Schema> Schema() { return testing::KeyTimeIdSchema(); }

AsofJoinSpec Spec(JoinType type, std::optional<int64_t> tolerance = std::nullopt) {
  AsofJoinSpec spec;
  spec.type = type;
  spec.left_keys = {"k"};
  spec.right_keys = {"k"};
  spec.left_time = "ts";
  spec.right_time = "ts";
  spec.tolerance_us = tolerance;
  return spec;
}

using Pair = std::pair<int64_t, int64_t>;  // left id, right id (-1: none)

struct Harness : JoinHarness {
  explicit Harness(const AsofJoinSpec& spec)
      : JoinHarness(MakeAsofJoin(Schema(), Schema(), spec).ValueOrDie()),
        join(dynamic_cast<AsofJoinOperator*>(op.get())) {}
  using JoinHarness::Push;
  void Push(int port, const std::string& json) { JoinHarness::Push(port, Schema(), json); }
  std::vector<Pair> Pairs() const { return JoinHarness::Pairs(2, 5); }
  AsofJoinOperator* join;
};

TEST(AsofJoin, OutputSchemaSuffixesTheRightSideNullableForLeftJoins) {
  Harness inner(Spec(JoinType::kInner));
  EXPECT_EQ(inner.op->name(), "AsofJoin");
  EXPECT_EQ(inner.op->output_schema()->field_names(),
            (std::vector<std::string>{"k", "ts", "id", "k_right", "ts_right", "id_right"}));
  Harness left(Spec(JoinType::kLeft));
  EXPECT_TRUE(left.op->output_schema()->field(5)->nullable());
}

TEST(AsofJoin, LeftRowsWaitForTheRightWatermarkAndMeetTheLatestRowAtOrBefore) {
  Harness h(Spec(JoinType::kLeft));
  h.Push(1, R"([{"k": 1, "ts": 100, "id": 10}, {"k": 1, "ts": 110, "id": 11}, {"k": 2, "ts": 90, "id": 20}])");
  h.Push(0, R"([{"k": 1, "ts": 105, "id": 1}, {"k": 1, "ts": 110, "id": 2}, {"k": 2, "ts": 120, "id": 3},
                {"k": 3, "ts": 100, "id": 4}, {"k": null, "ts": 100, "id": 5}, {"k": 1, "ts": 99, "id": 6}])");
  // A null key can never match: it leaves at once. The others wait for the right watermark.
  EXPECT_EQ(h.Pairs(), (std::vector<Pair>{{5, -1}}));
  EXPECT_EQ(h.join->state_rows(), 5 + 3);
  h.Push(1, Message::Watermark(105));  // decides left rows up to 105
  EXPECT_EQ(h.Pairs(), (std::vector<Pair>{{1, 10}, {4, -1}, {5, -1}, {6, -1}}));
  // A right row arriving now at 112 is after 110 and cannot change the match of id 2.
  h.Push(1, R"([{"k": 1, "ts": 112, "id": 12}, {"k": 2, "ts": 120, "id": 21}])");
  h.Push(1, Message::Watermark(130));
  EXPECT_EQ(h.Pairs(), (std::vector<Pair>{{1, 10}, {2, 11}, {3, 21}, {4, -1}, {5, -1}, {6, -1}}));
  EXPECT_TRUE(h.out->Controls().empty());  // the left side has no watermark yet
  // A left row the right watermark already passed leaves at once.
  h.Push(0, R"([{"k": 1, "ts": 111, "id": 7}])");
  EXPECT_EQ(h.Pairs().back(), (Pair{7, 11}));
}

TEST(AsofJoin, InnerDropsUnmatchedRowsAndToleranceLimitsHowFarBack) {
  Harness h(Spec(JoinType::kInner, 5));
  h.Push(1, R"([{"k": 1, "ts": 100, "id": 10}])");
  h.Push(0, R"([{"k": 1, "ts": 105, "id": 1}, {"k": 1, "ts": 106, "id": 2}, {"k": 1, "ts": 99, "id": 3},
                {"k": null, "ts": 100, "id": 4}])");
  h.Push(1, Message::EndOfStream());
  EXPECT_EQ(h.Pairs(), (std::vector<Pair>{{1, 10}}));
  EXPECT_EQ(h.join->state_rows(), 1);  // the right row: a left row at 100..105 may still come
  h.Push(0, Message::EndOfStream());
  EXPECT_EQ(h.join->state_rows(), 0);
  EXPECT_EQ(h.out->Controls(), (std::vector<std::string>{"EndOfStream"}));
}

TEST(AsofJoin, RowsOfOneKeyAndTimeTheLastArrivedCounts) {
  Harness h(Spec(JoinType::kInner));
  h.Push(1, R"([{"k": 1, "ts": 100, "id": 10}, {"k": 1, "ts": 100, "id": 11}])");
  h.Push(1, R"([{"k": 1, "ts": 100, "id": 12}])");
  h.Push(0, R"([{"k": 1, "ts": 100, "id": 1}])");
  h.Push(1, Message::EndOfStream());
  EXPECT_EQ(h.Pairs(), (std::vector<Pair>{{1, 12}}));
  EXPECT_EQ(h.join->right_state_rows(), 1);
  EXPECT_EQ(h.join->state_batches(), 1);
}

TEST(AsofJoin, RightStateShrinksToTheNewestRowPerKeyBelowTheHorizon) {
  Harness h(Spec(JoinType::kInner));
  h.Push(1, R"([{"k": 1, "ts": 100, "id": 10}, {"k": 1, "ts": 110, "id": 11}, {"k": 1, "ts": 120, "id": 12},
                {"k": 2, "ts": 100, "id": 20}, {"k": 2, "ts": 130, "id": 21}])");
  EXPECT_EQ(h.join->right_state_rows(), 5);
  h.Push(0, Message::Watermark(115));  // left rows to come are after 115: key 1 needs 110 on
  EXPECT_EQ(h.join->right_state_rows(), 4);
  h.Push(0, R"([{"k": 2, "ts": 125, "id": 1}])");  // waits; holds the horizon at 125 at most
  h.Push(0, Message::Watermark(200));
  // Key 1: 120 is the newest at or below 125; key 2: 100 (for the waiting row) and 130.
  EXPECT_EQ(h.join->right_state_rows(), 3);
  h.Push(1, Message::Watermark(200));
  EXPECT_EQ(h.Pairs(), (std::vector<Pair>{{1, 20}}));
  EXPECT_EQ(h.join->right_state_rows(), 2);  // one per key: the minimum a later left row needs
  EXPECT_EQ(h.join->state_batches(), 1);
  EXPECT_EQ(h.out->Controls(), (std::vector<std::string>{"Watermark(200)"}));  // the minimum of both
  // Rows at or below the horizon older than the key's newest are not held at all.
  h.Push(1, R"([{"k": 1, "ts": 119, "id": 13}, {"k": 1, "ts": 300, "id": 14}])");
  EXPECT_EQ(h.join->right_state_rows(), 3);
  h.Push(0, Message::EndOfStream());
  EXPECT_EQ(h.join->state_rows(), 0);
  EXPECT_EQ(h.join->state_batches(), 0);
}

TEST(AsofJoin, ToleranceReleasesRowsTooOldForAnyLeftRowToCome) {
  Harness h(Spec(JoinType::kLeft, 10));
  h.Push(1, R"([{"k": 1, "ts": 100, "id": 10}, {"k": 2, "ts": 105, "id": 20}])");
  h.Push(0, Message::Watermark(112));
  EXPECT_EQ(h.join->right_state_rows(), 1);  // 100 < 112 - 10
  h.Push(0, Message::Watermark(120));
  EXPECT_EQ(h.join->right_state_rows(), 0);
}

TEST(AsofJoin, ManyDecidedRowsLeaveInBoundedBatches) {
  Harness h(Spec(JoinType::kLeft));
  std::vector<EventRow> rows;
  for (int64_t i = 0; i < 100'000; ++i) rows.push_back({i % 7, i, i, i, 0});
  h.Push(0, Message::Batch(KeyTimeIdBatch(rows, 0, rows.size())));
  h.Push(1, Message::EndOfStream());  // decides every left row at once
  int64_t total = 0, batches = 0;
  for (const auto& m : h.out->messages) {
    if (!m.is_batch()) continue;
    EXPECT_LE(m.batch()->num_rows(), 64 * 1024);
    total += m.batch()->num_rows();
    ++batches;
  }
  EXPECT_EQ(total, 100'000);
  EXPECT_EQ(batches, 2);
  EXPECT_EQ(h.join->state_rows(), 0);
}

TEST(AsofJoin, StreamingEqualsBruteForceOverRandomBatchesAndWatermarks) {
  const int64_t bound = 200;  // out-of-orderness of each side
  for (JoinType type : {JoinType::kInner, JoinType::kLeft}) {
    for (std::optional<int64_t> tolerance : {std::optional<int64_t>{}, std::optional<int64_t>{150}}) {
      for (uint64_t seed = 1; seed <= 4; ++seed) {
        SCOPED_TRACE(std::string(ToString(type)) + " tolerance " + std::to_string(tolerance.value_or(-1)) +
                     " seed " + std::to_string(seed));
        std::mt19937_64 rng(seed);
        const std::vector<EventRow> sides[2] = {RandomEventRows(rng, 600, 0, 6, 20, bound),
                                                RandomEventRows(rng, 600, 10000, 6, 20, bound)};
        std::vector<Pair> expected;
        for (const auto& l : sides[0]) {
          const EventRow* best = nullptr;
          for (const auto& r : sides[1]) {  // ties: the last to arrive
            if (r.k == l.k && r.ts <= l.ts && (best == nullptr || r.ts >= best->ts)) best = &r;
          }
          if (best != nullptr && tolerance && best->ts < l.ts - *tolerance) best = nullptr;
          if (best != nullptr || type == JoinType::kLeft) expected.emplace_back(l.id, best ? best->id : -1);
        }
        std::sort(expected.begin(), expected.end());

        Harness h(Spec(type, tolerance));
        const int64_t peak = h.PushInterleaved(
            sides, rng, bound, [&](int side, size_t begin, size_t end) { return KeyTimeIdBatch(sides[side], begin, end); });
        h.Push(1, Message::EndOfStream());
        EXPECT_EQ(h.join->state_rows(), h.join->right_state_rows()) << "no left row waits once the right side ended";
        h.Push(0, Message::Watermark(1'000'000));
        EXPECT_LE(h.join->right_state_rows(), tolerance ? 0 : 6) << "at most the newest right row per key";
        h.Push(0, Message::EndOfStream());
        EXPECT_EQ(h.join->state_rows(), 0);
        EXPECT_LT(peak, 600) << "watermarks should have released rows along the way";
        EXPECT_EQ(h.Pairs(), expected);
      }
    }
  }
}

TEST(AsofJoin, ErrorsNameWhatIsWrong) {
  auto full = MakeAsofJoin(Schema(), Schema(), Spec(JoinType::kFull));
  EXPECT_NE(full.status().message().find("type full is not supported (expected inner or left)"), std::string::npos)
      << full.status().ToString();
  auto negative = MakeAsofJoin(Schema(), Schema(), Spec(JoinType::kInner, -1));
  EXPECT_NE(negative.status().message().find("tolerance -1 us is negative"), std::string::npos);
  AsofJoinSpec time = Spec(JoinType::kInner);
  time.left_time = "id";
  auto wrong_time = MakeAsofJoin(Schema(), Schema(), time);
  EXPECT_NE(wrong_time.status().message().find("left time column 'id': expected a timestamp"), std::string::npos)
      << wrong_time.status().ToString();
  AsofJoinSpec missing_time = Spec(JoinType::kInner);
  missing_time.right_time = "when";
  auto no_time = MakeAsofJoin(Schema(), Schema(), missing_time);
  EXPECT_NE(no_time.status().message().find("when"), std::string::npos) << no_time.status().ToString();
  AsofJoinSpec key = Spec(JoinType::kInner);
  key.right_keys = {"nope"};
  auto missing = MakeAsofJoin(Schema(), Schema(), key);
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos) << missing.status().ToString();
  auto int32_right = arrow::schema({arrow::field("k", arrow::int32()),
                                    arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO))});
  auto types = MakeAsofJoin(Schema(), int32_right, Spec(JoinType::kInner));
  EXPECT_NE(types.status().message().find("as-of join key 0: left k is int64, right k is int32"), std::string::npos)
      << types.status().ToString();
}

}  // namespace
}  // namespace sabot
