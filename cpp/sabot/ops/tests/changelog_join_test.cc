// Changelog join: inserts as rows arrive on either side, outer rows padded then retracted
// at their first match, null keys, state released by the TTL and by an input's end, the
// applied changelog == a nested-loop reference over random batches, and errors.
#include <algorithm>
#include <set>
#include <random>
#include <tuple>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/ops/changelog_join.h"
#include "sabot/ops/tests/event_time_join_test_util.h"

namespace sabot {
namespace {

using testing::EventRow;
using testing::JoinHarness;
using testing::KeyTimeIdBatch;

std::shared_ptr<arrow::Schema> Schema() { return testing::KeyTimeIdSchema(); }

JoinSpec Spec(JoinType type, int64_t ttl_us = 0) {
  JoinSpec spec;
  spec.type = type;
  spec.left_keys = spec.right_keys = {"k"};
  spec.state_ttl_us = ttl_us;
  spec.time_column = "ts";
  return spec;
}

// An output row: op, left id, right id (-1 for null).
using Change = std::tuple<std::string, int64_t, int64_t>;
using Pair = std::pair<int64_t, int64_t>;

struct Harness : JoinHarness {
  explicit Harness(const JoinSpec& spec)
      : JoinHarness(MakeChangelogJoin(Schema(), Schema(), spec).ValueOrDie()),
        join(dynamic_cast<ChangelogJoinOperator*>(op.get())) {}
  using JoinHarness::Push;
  void Push(int port, const std::string& json) { JoinHarness::Push(port, Schema(), json); }
  //! Every output row, in order.
  std::vector<Change> Changes() const {
    std::vector<Change> changes;
    for (const auto& m : out->messages) {
      if (!m.is_batch()) continue;
      const auto& ops = static_cast<const arrow::StringArray&>(*m.batch()->column(0));
      const auto& l = static_cast<const arrow::Int64Array&>(*m.batch()->column(3));
      const bool left_only = m.batch()->num_columns() == 4;  // semi, anti
      for (int64_t i = 0; i < m.batch()->num_rows(); ++i) {
        const auto& r = static_cast<const arrow::Int64Array&>(*m.batch()->column(left_only ? 3 : 6));
        const int64_t right = left_only || r.IsNull(i) ? -1 : r.Value(i);
        changes.emplace_back(ops.GetString(i), l.IsValid(i) ? l.Value(i) : -1, right);
      }
    }
    return changes;
  }
  //! The changelog applied: the (left id, right id) pairs it leaves, sorted.
  std::vector<Pair> Applied() const {
    std::multiset<Pair> rows;
    for (const auto& [op, l, r] : Changes()) {
      if (op == "insert") {
        rows.emplace(l, r);
        continue;
      }
      EXPECT_EQ(op, "delete");
      auto it = rows.find({l, r});
      EXPECT_NE(it, rows.end()) << "deletes a row it never inserted: " << l << ", " << r;
      if (it != rows.end()) rows.erase(it);
    }
    return {rows.begin(), rows.end()};
  }
  ChangelogJoinOperator* join;
};

TEST(ChangelogJoin, OutputIsOpThenTheJoinedColumns) {
  Harness h(Spec(JoinType::kInner));
  EXPECT_EQ(h.op->name(), "ChangelogJoin");
  EXPECT_EQ(h.op->output_schema()->field_names(),
            (std::vector<std::string>{"op", "k", "ts", "id", "k_right", "ts_right", "id_right"}));
}

TEST(ChangelogJoin, InnerInsertsEachPairWhenItsSecondRowArrivesAndNullKeysNeverMatch) {
  Harness h(Spec(JoinType::kInner));
  h.Push(0, R"([{"k": 1, "ts": 0, "id": 1}, {"k": null, "ts": 0, "id": 2}, {"k": 2, "ts": 0, "id": 3}])");
  EXPECT_TRUE(h.Changes().empty());
  h.Push(1, R"([{"k": 1, "ts": 0, "id": 10}, {"k": null, "ts": 0, "id": 11}])");
  EXPECT_EQ(h.Changes(), (std::vector<Change>{{"insert", 1, 10}}));
  h.Push(0, R"([{"k": 1, "ts": 0, "id": 4}, {"k": null, "ts": 0, "id": 5}])");
  EXPECT_EQ(h.Changes(), (std::vector<Change>{{"insert", 1, 10}, {"insert", 4, 10}}));
  // Null-keyed rows are never held.
  EXPECT_EQ(h.join->state_rows(), 4);
}

TEST(ChangelogJoin, LeftInsertsPaddedRowsAndRetractsThemAtTheFirstMatch) {
  Harness h(Spec(JoinType::kLeft));
  h.Push(0, R"([{"k": 1, "ts": 0, "id": 1}, {"k": 1, "ts": 0, "id": 2}, {"k": null, "ts": 0, "id": 3}])");
  EXPECT_EQ(h.Changes(), (std::vector<Change>{{"insert", 1, -1}, {"insert", 2, -1}, {"insert", 3, -1}}));
  h.Push(1, R"([{"k": 1, "ts": 0, "id": 10}, {"k": 1, "ts": 0, "id": 11}, {"k": null, "ts": 0, "id": 12}])");
  EXPECT_EQ(h.Applied(), (std::vector<Pair>{{1, 10}, {1, 11}, {2, 10}, {2, 11}, {3, -1}}));
  // Only the first match retracts the padded row; unmatched right rows emit nothing.
  const auto changes = h.Changes();
  EXPECT_EQ(std::count_if(changes.begin(), changes.end(), [](const Change& c) { return std::get<0>(c) == "delete"; }),
            2);
  // A later left row of a matched key is joined at once.
  h.Push(0, R"([{"k": 1, "ts": 0, "id": 4}])");
  EXPECT_EQ(h.Changes().size(), changes.size() + 2);
}

TEST(ChangelogJoin, FullPadsBothSides) {
  Harness h(Spec(JoinType::kFull));
  h.Push(1, R"([{"k": 1, "ts": 0, "id": 10}, {"k": 2, "ts": 0, "id": 11}])");
  h.Push(0, R"([{"k": 1, "ts": 0, "id": 1}, {"k": 3, "ts": 0, "id": 2}])");
  EXPECT_EQ(h.Applied(), (std::vector<Pair>{{-1, 11}, {1, 10}, {2, -1}}));
  h.Push(1, R"([{"k": 3, "ts": 0, "id": 12}])");
  EXPECT_EQ(h.Applied(), (std::vector<Pair>{{-1, 11}, {1, 10}, {2, 12}}));
}

TEST(ChangelogJoin, TtlReleasesStateToZeroWithoutOutput) {
  Harness h(Spec(JoinType::kLeft, /*ttl_us=*/100));
  h.Push(0, R"([{"k": 1, "ts": 1000, "id": 1}, {"k": 2, "ts": 1050, "id": 2}])");
  h.Push(1, R"([{"k": 3, "ts": 1000, "id": 10}])");
  EXPECT_EQ(h.join->state_rows(), 3);
  const size_t before = h.Changes().size();
  h.Push(0, Message::Watermark(1100));
  EXPECT_EQ(h.join->state_rows(), 3);  // the output watermark is the right one's: none yet
  h.Push(1, Message::Watermark(1100));  // rows at or below 1000 leave
  EXPECT_EQ(h.join->state_rows(), 1);
  h.Push(1, Message::Watermark(1150));
  EXPECT_EQ(h.join->state_rows(), 1);  // the left watermark holds the output's at 1100
  h.Push(0, Message::Watermark(1150));
  EXPECT_EQ(h.join->state_rows(), 0);
  EXPECT_EQ(h.Changes().size(), before);
  // An expired row no longer matches: the new right row finds nothing.
  h.Push(1, R"([{"k": 1, "ts": 1200, "id": 11}])");
  EXPECT_EQ(h.Changes().size(), before);
}

TEST(ChangelogJoin, AnInputsEndReleasesTheOtherSidesRows) {
  Harness h(Spec(JoinType::kInner));
  h.Push(0, R"([{"k": 1, "ts": 0, "id": 1}])");
  h.Push(1, R"([{"k": 1, "ts": 0, "id": 10}])");
  h.Push(1, Message::EndOfStream());
  EXPECT_EQ(h.join->state_rows(), 1);  // the right row waits for more left rows
  h.Push(0, R"([{"k": 1, "ts": 0, "id": 2}])");
  EXPECT_EQ(h.Changes(), (std::vector<Change>{{"insert", 1, 10}, {"insert", 2, 10}}));
  EXPECT_EQ(h.join->state_rows(), 1);
  h.Push(0, Message::EndOfStream());
  EXPECT_EQ(h.join->state_rows(), 0);
  EXPECT_EQ(h.out->Controls(), (std::vector<std::string>{"EndOfStream"}));
}

// Rows of both sides over few keys (some null), in random batches on a random side.
TEST(ChangelogJoin, AppliedChangelogIsTheBatchJoin) {
  for (JoinType type : {JoinType::kInner, JoinType::kLeft, JoinType::kRight, JoinType::kFull, JoinType::kSemi,
                        JoinType::kAnti}) {
    for (int seed = 0; seed < 10; ++seed) {
      std::mt19937_64 rng(static_cast<uint64_t>(seed));
      std::vector<EventRow> sides[2];
      std::vector<bool> null_key[2];
      for (int port : {0, 1}) {
        sides[port] = testing::RandomEventRows(rng, 1 + static_cast<int>(rng() % 80), port * 1000, 6, 3, 5);
        for (size_t i = 0; i < sides[port].size(); ++i) null_key[port].push_back(rng() % 8 == 0);
      }
      Harness h(Spec(type));
      auto batch = [&](int port, size_t begin, size_t end) {
        auto b = KeyTimeIdBatch(sides[port], begin, end);
        arrow::Int64Builder k;
        for (size_t i = begin; i < end; ++i) {
          EXPECT_TRUE((null_key[port][i] ? k.AppendNull() : k.Append(sides[port][i].k)).ok());
        }
        return b->SetColumn(0, b->schema()->field(0), k.Finish().ValueOrDie()).ValueOrDie();
      };
      h.PushInterleaved(sides, rng, 5, batch);
      std::vector<Pair> want;
      std::vector<bool> matched[2] = {std::vector<bool>(sides[0].size()), std::vector<bool>(sides[1].size())};
      for (size_t i = 0; i < sides[0].size(); ++i) {
        for (size_t j = 0; j < sides[1].size(); ++j) {
          if (null_key[0][i] || null_key[1][j] || sides[0][i].k != sides[1][j].k) continue;
          if (!OutputsLeftOnly(type)) want.emplace_back(sides[0][i].id, sides[1][j].id);
          matched[0][i] = matched[1][j] = true;
        }
      }
      for (size_t i = 0; i < sides[0].size(); ++i) {
        if (KeepsUnmatchedLeft(type) && !matched[0][i]) want.emplace_back(sides[0][i].id, -1);
        if (type == JoinType::kSemi && matched[0][i]) want.emplace_back(sides[0][i].id, -1);
      }
      for (size_t j = 0; j < sides[1].size(); ++j) {
        if (KeepsUnmatchedRight(type) && !matched[1][j]) want.emplace_back(-1, sides[1][j].id);
      }
      std::sort(want.begin(), want.end());
      EXPECT_EQ(h.Applied(), want) << ToString(type) << " seed " << seed;
    }
  }
}

TEST(ChangelogJoin, ErrorsNameWhatIsWrong) {
  auto message = [](const JoinSpec& spec, std::shared_ptr<arrow::Schema> right = Schema()) {
    auto made = MakeChangelogJoin(Schema(), right, spec);
    EXPECT_FALSE(made.ok());
    return made.ok() ? std::string() : made.status().message();
  };
  JoinSpec residual = Spec(JoinType::kInner);
  residual.residual = Expr::Literal(std::make_shared<arrow::BooleanScalar>(true));
  EXPECT_NE(message(residual).find("where="), std::string::npos);
  EXPECT_NE(message(Spec(JoinType::kInner, -1)).find("state TTL must not be negative"), std::string::npos);
  JoinSpec time = Spec(JoinType::kInner, 10);
  time.time_column = "id";
  EXPECT_NE(message(time).find("left state TTL time column 'id'"), std::string::npos) << message(time);
  auto int32_right = arrow::schema({arrow::field("k", arrow::int32()),
                                    arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO))});
  EXPECT_NE(message(Spec(JoinType::kInner), int32_right).find("left k is int64, right k is int32"),
            std::string::npos);
  auto op_column = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("op", arrow::utf8())});
  EXPECT_NE(message(Spec(JoinType::kInner), op_column).find("'op' clashes"), std::string::npos);
  // Known only once the left input ended: no changelog for these.
  EXPECT_NE(message(Spec(JoinType::kRightSemi)).find("a right_semi join over an unbounded input"), std::string::npos);
  EXPECT_NE(message(Spec(JoinType::kRightAnti)).find("as an anti join with the sides swapped"), std::string::npos)
      << message(Spec(JoinType::kRightAnti));
}

}  // namespace
}  // namespace sabot
