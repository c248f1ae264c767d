// A hash join's output_columns (JoinSpec): only the named columns are emitted, for
// matched pairs, unmatched left rows and unmatched build rows alike.
#include <algorithm>
#include <tuple>
#include <string>
#include <vector>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/ops/hash_join.h"
#include "sabot/ops/tests/test_util.h"

namespace sabot {
namespace {

using testing::BatchFromJson;
using testing::RecordingOperator;
using Rows = std::vector<std::string>;

std::shared_ptr<arrow::Schema> Left() {
  return arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::utf8())});
}
std::shared_ptr<arrow::Schema> Right() {
  return arrow::schema({arrow::field("k", arrow::int64()), arrow::field("w", arrow::int64())});
}

JoinSpec Spec(JoinType type, std::vector<std::string> output_columns) {
  JoinSpec spec;
  spec.type = type;
  spec.left_keys = {"k"};
  spec.right_keys = {"k"};
  spec.output_columns = std::move(output_columns);
  return spec;
}

// The join's output schema (as text) and its rows, sorted ("a|10"; null as "null").
std::pair<std::string, Rows> Joined(const JoinSpec& spec) {
  auto join = MakeHashJoin(Left(), Right(), spec);
  EXPECT_TRUE(join.ok()) << join.status().ToString();
  if (!join.ok()) return {};
  RecordingOperator out((*join)->output_schema());
  (*join)->ConnectTo(&out, 0);
  EXPECT_TRUE((*join)->Push(1, Message::Batch(BatchFromJson(Right(), R"([{"k": 1, "w": 10}, {"k": 4, "w": 40}])")))
                  .ok());
  EXPECT_TRUE((*join)->Push(1, Message::EndOfStream()).ok());
  EXPECT_TRUE(
      (*join)->Push(0, Message::Batch(BatchFromJson(Left(), R"([{"k": 1, "v": "a"}, {"k": 2, "v": "b"}])"))).ok());
  EXPECT_TRUE((*join)->Push(0, Message::EndOfStream()).ok());
  auto table = out.Table();
  Rows rows(table->num_rows());
  for (int c = 0; c < table->num_columns(); ++c) {
    for (int64_t i = 0; i < table->num_rows(); ++i) {
      auto scalar = table->column(c)->GetScalar(i).ValueOrDie();
      rows[i] += (c > 0 ? "|" : "") + (scalar->is_valid ? scalar->ToString() : std::string("null"));
    }
  }
  std::sort(rows.begin(), rows.end());
  return {(*join)->output_schema()->ToString(), rows};
}

TEST(JoinOutputColumns, OnlyTheNamedColumnsInOutputOrder) {
  // Named out of order: the output keeps the join's own order (left, then right).
  auto [schema, rows] = Joined(Spec(JoinType::kInner, {"w", "v"}));
  EXPECT_EQ(schema, "v: string\nw: int64");
  EXPECT_EQ(rows, (Rows{"a|10"}));
}

TEST(JoinOutputColumns, UnmatchedRowsOfEitherSideGetNullsInTheKeptColumns) {
  auto [schema, rows] = Joined(Spec(JoinType::kFull, {"v", "k_right", "w"}));
  EXPECT_EQ(schema, "v: string\nk_right: int64\nw: int64");
  EXPECT_EQ(rows, (Rows{"a|1|10", "b|null|null", "null|4|40"}));
  std::tie(schema, rows) = Joined(Spec(JoinType::kLeft, {"v"}));
  EXPECT_EQ(rows, (Rows{"a", "b"}));
  std::tie(schema, rows) = Joined(Spec(JoinType::kAnti, {"v"}));
  EXPECT_EQ(schema, "v: string");
  EXPECT_EQ(rows, (Rows{"b"}));
}

TEST(JoinOutputColumns, AnUnknownNameIsAnError) {
  auto join = MakeHashJoin(Left(), Right(), Spec(JoinType::kInner, {"v", "x"}));
  ASSERT_FALSE(join.ok());
  EXPECT_EQ(join.status().message(),
            "join output column 'x' is not a column of the join; its columns are: k, v, k_right, w");
  // A semi join's output has the left columns only.
  EXPECT_FALSE(MakeHashJoin(Left(), Right(), Spec(JoinType::kSemi, {"w"})).ok());
}

}  // namespace
}  // namespace sabot
