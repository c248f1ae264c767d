// Hash join: every join type, SQL null semantics, residual predicates, input interleaving,
// control events, errors, and a randomized comparison with a nested-loop join.
#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/ops/hash_join.h"
#include "sabot/ops/tests/test_util.h"

namespace sabot {
namespace {

using testing::BatchFromJson;
using testing::RecordingOperator;
using testing::TableFromJson;

std::shared_ptr<arrow::Schema> LeftSchema() {
  return arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::utf8())});
}
std::shared_ptr<arrow::Schema> RightSchema() {
  return arrow::schema({arrow::field("id", arrow::int64()), arrow::field("w", arrow::int64())});
}

// Left k: 1, 1, 2, 3, null; right id: 1, 1, 2, 4, null.
const char* kLeftRows = R"([{"k": 1, "v": "a"}, {"k": 1, "v": "b"}, {"k": 2, "v": "c"},
                            {"k": 3, "v": "d"}, {"k": null, "v": "e"}])";
const char* kRightRows = R"([{"id": 1, "w": 10}, {"id": 1, "w": 11}, {"id": 2, "w": 20},
                             {"id": 4, "w": 40}, {"id": null, "w": 50}])";

JoinSpec Spec(JoinType type, std::vector<std::string> left_keys = {"k"},
              std::vector<std::string> right_keys = {"id"}) {
  JoinSpec spec;
  spec.type = type;
  spec.left_keys = std::move(left_keys);
  spec.right_keys = std::move(right_keys);
  return spec;
}

// Every row as text ("1|a|1|10"), sorted: join output order is not part of the contract.
std::vector<std::string> SortedRows(const arrow::Table& table) {
  std::vector<std::string> rows(table.num_rows());
  for (int c = 0; c < table.num_columns(); ++c) {
    for (int64_t i = 0; i < table.num_rows(); ++i) {
      auto scalar = table.column(c)->GetScalar(i).ValueOrDie();
      rows[i] += (c > 0 ? "|" : "") + (scalar->is_valid ? scalar->ToString() : std::string("null"));
    }
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

struct JoinRun {
  std::unique_ptr<Operator> join;
  std::unique_ptr<RecordingOperator> out;
};

JoinRun MakeRun(const std::shared_ptr<arrow::Schema>& left, const std::shared_ptr<arrow::Schema>& right,
                const JoinSpec& spec, int stop_after_batches = -1) {
  auto join = MakeHashJoin(left, right, spec);
  EXPECT_TRUE(join.ok()) << join.status().ToString();
  JoinRun run{std::move(*join), nullptr};
  run.out = std::make_unique<RecordingOperator>(run.join->output_schema(), stop_after_batches);
  run.join->ConnectTo(run.out.get(), 0);
  return run;
}

void PushOk(Operator& op, int port, Message message) {
  auto flow = op.Push(port, std::move(message));
  ASSERT_TRUE(flow.ok()) << flow.status().ToString();
}

// Build side first, then the probe side, one batch each.
std::vector<std::string> RunSimple(const JoinSpec& spec, const char* left_rows = kLeftRows,
                                   const char* right_rows = kRightRows) {
  auto run = MakeRun(LeftSchema(), RightSchema(), spec);
  PushOk(*run.join, 1, Message::Batch(BatchFromJson(RightSchema(), right_rows)));
  PushOk(*run.join, 1, Message::EndOfStream());
  PushOk(*run.join, 0, Message::Batch(BatchFromJson(LeftSchema(), left_rows)));
  PushOk(*run.join, 0, Message::EndOfStream());
  EXPECT_EQ(run.out->Controls(), std::vector<std::string>{"EndOfStream"});
  return SortedRows(*run.out->Table());
}

using Rows = std::vector<std::string>;

TEST(HashJoinSpec, JoinTypeNames) {
  for (auto t : {JoinType::kInner, JoinType::kLeft, JoinType::kRight, JoinType::kFull, JoinType::kSemi,
                 JoinType::kAnti, JoinType::kRightSemi, JoinType::kRightAnti}) {
    EXPECT_EQ(*ParseJoinType(ToString(t)), t);
  }
  EXPECT_EQ(ToString(JoinType::kFull), "full");
  EXPECT_EQ(ToString(JoinType::kRightAnti), "right_anti");
  auto bad = ParseJoinType("outer");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "unknown join type 'outer'; valid types are: inner, left, right, full, semi, anti, "
                                  "right_semi, right_anti");
}

TEST(HashJoin, InnerWithDuplicatesOnBothSidesAndNullKeys) {
  auto run = MakeRun(LeftSchema(), RightSchema(), Spec(JoinType::kInner));
  EXPECT_EQ(run.join->output_schema()->ToString(), "k: int64\nv: string\nid: int64\nw: int64");
  EXPECT_EQ(RunSimple(Spec(JoinType::kInner)),
            (Rows{"1|a|1|10", "1|a|1|11", "1|b|1|10", "1|b|1|11", "2|c|2|20"}));
}

TEST(HashJoin, LeftKeepsUnmatchedAndNullKeyRows) {
  auto run = MakeRun(LeftSchema(), RightSchema(), Spec(JoinType::kLeft));
  EXPECT_TRUE(run.join->output_schema()->field(2)->nullable());
  EXPECT_EQ(RunSimple(Spec(JoinType::kLeft)), (Rows{"1|a|1|10", "1|a|1|11", "1|b|1|10", "1|b|1|11", "2|c|2|20",
                                                    "3|d|null|null", "null|e|null|null"}));
}

TEST(HashJoin, RightEmitsUnmatchedBuildRowsAfterProbeEnds) {
  auto run = MakeRun(LeftSchema(), RightSchema(), Spec(JoinType::kRight));
  PushOk(*run.join, 1, Message::Batch(BatchFromJson(RightSchema(), kRightRows)));
  PushOk(*run.join, 1, Message::EndOfStream());
  PushOk(*run.join, 0, Message::Batch(BatchFromJson(LeftSchema(), kLeftRows)));
  const size_t matched_messages = run.out->messages.size();
  EXPECT_EQ(SortedRows(*run.out->Table()), (Rows{"1|a|1|10", "1|a|1|11", "1|b|1|10", "1|b|1|11", "2|c|2|20"}));
  PushOk(*run.join, 0, Message::EndOfStream());
  ASSERT_EQ(run.out->messages.size(), matched_messages + 2);  // unmatched rows, then EndOfStream
  EXPECT_TABLE_EQ(arrow::Table::FromRecordBatches({run.out->messages[matched_messages].batch()}).ValueOrDie(),
                  TableFromJson(run.join->output_schema(), R"([{"k": null, "v": null, "id": 4, "w": 40},
                                                              {"k": null, "v": null, "id": null, "w": 50}])"));
  EXPECT_EQ(run.out->Controls(), std::vector<std::string>{"EndOfStream"});
}

TEST(HashJoin, FullKeepsBothSides) {
  EXPECT_EQ(RunSimple(Spec(JoinType::kFull)),
            (Rows{"1|a|1|10", "1|a|1|11", "1|b|1|10", "1|b|1|11", "2|c|2|20", "3|d|null|null",
                  "null|e|null|null", "null|null|4|40", "null|null|null|50"}));
}

TEST(HashJoin, SemiAndAntiOutputLeftRowsOnceInOrder) {
  auto run = MakeRun(LeftSchema(), RightSchema(), Spec(JoinType::kSemi));
  EXPECT_TRUE(run.join->output_schema()->Equals(*LeftSchema()));
  PushOk(*run.join, 1, Message::Batch(BatchFromJson(RightSchema(), kRightRows)));
  PushOk(*run.join, 1, Message::EndOfStream());
  PushOk(*run.join, 0, Message::Batch(BatchFromJson(LeftSchema(), kLeftRows)));
  PushOk(*run.join, 0, Message::EndOfStream());
  EXPECT_TABLE_EQ(run.out->Table(), TableFromJson(LeftSchema(), R"([{"k": 1, "v": "a"}, {"k": 1, "v": "b"},
                                                                  {"k": 2, "v": "c"}])"));
  EXPECT_EQ(RunSimple(Spec(JoinType::kAnti)), (Rows{"3|d", "null|e"}));
}

TEST(HashJoin, MultiColumnKeysIntAndString) {
  auto left = arrow::schema({arrow::field("a", arrow::int32()), arrow::field("s", arrow::utf8()),
                             arrow::field("x", arrow::int64())});
  auto right = arrow::schema({arrow::field("b", arrow::int64()), arrow::field("t", arrow::utf8()),
                              arrow::field("y", arrow::int64())});
  for (auto type : {JoinType::kInner, JoinType::kLeft}) {
    auto run = MakeRun(left, right, Spec(type, {"a", "s"}, {"b", "t"}));
    PushOk(*run.join, 1, Message::Batch(BatchFromJson(right, R"([
        {"b": 1, "t": "p", "y": 100}, {"b": 1, "t": "q", "y": 101}, {"b": 2, "t": "p", "y": 102},
        {"b": 1, "t": "p", "y": 103}, {"b": 1, "t": null, "y": 104}, {"b": 1, "t": "", "y": 105}])")));
    PushOk(*run.join, 1, Message::EndOfStream());
    PushOk(*run.join, 0, Message::Batch(BatchFromJson(left, R"([
        {"a": 1, "s": "p", "x": 1}, {"a": 2, "s": "q", "x": 2}, {"a": 1, "s": null, "x": 3},
        {"a": 1, "s": "", "x": 4}, {"a": 2, "s": "p", "x": 5}])")));
    PushOk(*run.join, 0, Message::EndOfStream());
    Rows expected = {"1|p|1|1|p|100", "1|p|1|1|p|103", "1||4|1||105", "2|p|5|2|p|102"};
    if (type == JoinType::kLeft) {
      expected.insert(expected.end(), {"1|null|3|null|null|null", "2|q|2|null|null|null"});
    }
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(SortedRows(*run.out->Table()), expected) << ToString(type);
  }
}

TEST(HashJoin, StringKeysAndManyBuildBatches) {
  auto left = arrow::schema({arrow::field("name", arrow::utf8())});
  auto right = arrow::schema({arrow::field("name", arrow::utf8()), arrow::field("n", arrow::int64())});
  auto run = MakeRun(left, right, Spec(JoinType::kInner, {"name"}, {"name"}));
  EXPECT_EQ(run.join->output_schema()->field(1)->name(), "name_right");
  PushOk(*run.join, 1, Message::Batch(BatchFromJson(right, R"([{"name": "apple", "n": 1}, {"name": "", "n": 2}])")));
  PushOk(*run.join, 1, Message::Batch(BatchFromJson(right, R"([{"name": "a longer string than sixteen", "n": 3},
                                                              {"name": "apple", "n": 4}])")));
  PushOk(*run.join, 1, Message::EndOfStream());
  PushOk(*run.join, 0, Message::Batch(BatchFromJson(left, R"([{"name": "apple"}, {"name": "appl"}, {"name": ""},
      {"name": "a longer string than sixteen"}, {"name": "a longer string than sixteeN"}, {"name": null}])")));
  PushOk(*run.join, 0, Message::EndOfStream());
  // ('|' sorts after letters.)
  EXPECT_EQ(SortedRows(*run.out->Table()), (Rows{"a longer string than sixteen|a longer string than sixteen|3",
                                                 "apple|apple|1", "apple|apple|4", "||2"}));
}

TEST(HashJoin, OtherKeyTypes) {
  struct Case {
    std::shared_ptr<arrow::DataType> left_type, right_type;
    const char* left_json;
    const char* right_json;
    int64_t expected_rows;
  };
  std::vector<Case> cases = {
      {arrow::int32(), arrow::int64(), "[1, 2, -3]", "[-3, 2, 7]", 2},  // integers compare as int64
      {arrow::uint8(), arrow::int16(), "[200, 5]", "[200, -56]", 1},
      {arrow::float64(), arrow::float64(), "[0.0, 1.5, NaN]", "[-0.0, 1.5, NaN, 2.5]", 3},
      {arrow::float32(), arrow::float32(), "[0.5, 2.0]", "[0.5, 3.0]", 1},
      {arrow::boolean(), arrow::boolean(), "[true, false, true]", "[true]", 2},
      {arrow::decimal128(10, 2), arrow::decimal128(10, 2), R"(["1.25", "-3.00"])", R"(["-3.00", "1.26"])", 1},
      {arrow::timestamp(arrow::TimeUnit::MICRO), arrow::timestamp(arrow::TimeUnit::MICRO), "[5, 6]", "[6, 6]", 2},
      {arrow::date32(), arrow::date32(), "[19000, 19001]", "[19001]", 1},
      {arrow::large_utf8(), arrow::large_utf8(), R"(["x", "y"])", R"(["y", "z"])", 1},
      {arrow::binary(), arrow::binary(), R"(["x", "y"])", R"(["y", "z", "y"])", 2},
  };
  for (const auto& c : cases) {
    auto left = arrow::schema({arrow::field("a", c.left_type)});
    auto right = arrow::schema({arrow::field("b", c.right_type)});
    auto run = MakeRun(left, right, Spec(JoinType::kInner, {"a"}, {"b"}));
    auto batch = [](const std::shared_ptr<arrow::Schema>& schema, const char* json) {
      auto array = arrow::json::ArrayFromJSONString(schema->field(0)->type(), json).ValueOrDie();
      return arrow::RecordBatch::Make(schema, array->length(), {array});
    };
    PushOk(*run.join, 1, Message::Batch(batch(right, c.right_json)));
    PushOk(*run.join, 1, Message::EndOfStream());
    PushOk(*run.join, 0, Message::Batch(batch(left, c.left_json)));
    PushOk(*run.join, 0, Message::EndOfStream());
    EXPECT_EQ(run.out->Table()->num_rows(), c.expected_rows) << c.left_type->ToString();
  }
}

TEST(HashJoin, ResidualPredicate) {
  // Pairs with equal keys: (1,a)x10, (1,a)x11, (1,b)x10, (1,b)x11, (2,c)x20. Left v is
  // replaced by an int so that v < w can be tested.
  auto left = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::int64())});
  const char* left_rows = R"([{"k": 1, "v": 10}, {"k": 1, "v": 11}, {"k": 2, "v": 25}, {"k": 3, "v": 0},
                              {"k": 1, "v": null}])";
  auto run_with = [&](JoinType type) {
    auto spec = Spec(type);
    spec.residual = col("v") < col("w");
    auto run = MakeRun(left, RightSchema(), spec);
    PushOk(*run.join, 1, Message::Batch(BatchFromJson(RightSchema(), kRightRows)));
    PushOk(*run.join, 1, Message::EndOfStream());
    PushOk(*run.join, 0, Message::Batch(BatchFromJson(left, left_rows)));
    PushOk(*run.join, 0, Message::EndOfStream());
    return SortedRows(*run.out->Table());
  };
  EXPECT_EQ(run_with(JoinType::kInner), (Rows{"1|10|1|11"}));
  // A row whose candidates all fail the residual (or give null) is unmatched.
  EXPECT_EQ(run_with(JoinType::kLeft),
            (Rows{"1|10|1|11", "1|11|null|null", "1|null|null|null", "2|25|null|null", "3|0|null|null"}));
  EXPECT_EQ(run_with(JoinType::kSemi), (Rows{"1|10"}));
  EXPECT_EQ(run_with(JoinType::kAnti), (Rows{"1|11", "1|null", "2|25", "3|0"}));
  EXPECT_EQ(run_with(JoinType::kRight), (Rows{"1|10|1|11", "null|null|1|10", "null|null|2|20", "null|null|4|40",
                                              "null|null|null|50"}));
}

TEST(HashJoin, ResidualOverSuffixedColumns) {
  auto right = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::utf8())});
  auto spec = Spec(JoinType::kInner, {"k"}, {"k"});
  spec.residual = col("v") != col("v_right");
  auto run = MakeRun(LeftSchema(), right, spec);
  PushOk(*run.join, 1, Message::Batch(BatchFromJson(right, R"([{"k": 1, "v": "a"}, {"k": 2, "v": "x"}])")));
  PushOk(*run.join, 1, Message::EndOfStream());
  PushOk(*run.join, 0, Message::Batch(BatchFromJson(LeftSchema(), kLeftRows)));
  PushOk(*run.join, 0, Message::EndOfStream());
  EXPECT_EQ(SortedRows(*run.out->Table()), (Rows{"1|b|1|a", "2|c|2|x"}));
}

TEST(HashJoin, ProbeBatchesBeforeAndAfterBuildEnd) {
  auto run = MakeRun(LeftSchema(), RightSchema(), Spec(JoinType::kInner));
  PushOk(*run.join, 0, Message::Batch(BatchFromJson(LeftSchema(), R"([{"k": 1, "v": "early"}])")));
  PushOk(*run.join, 1, Message::Batch(BatchFromJson(RightSchema(), R"([{"id": 1, "w": 10}])")));
  PushOk(*run.join, 0, Message::Batch(BatchFromJson(LeftSchema(), R"([{"k": 2, "v": "early2"}])")));
  PushOk(*run.join, 1, Message::Batch(BatchFromJson(RightSchema(), R"([{"id": 2, "w": 20}])")));
  EXPECT_TRUE(run.out->messages.empty());  // nothing before the table is complete
  PushOk(*run.join, 1, Message::EndOfStream());
  EXPECT_EQ(SortedRows(*run.out->Table()), (Rows{"1|early|1|10", "2|early2|2|20"}));
  PushOk(*run.join, 0, Message::Batch(BatchFromJson(LeftSchema(), R"([{"k": 2, "v": "late"}])")));
  EXPECT_EQ(run.out->Table()->num_rows(), 3);  // probed as it arrives
  PushOk(*run.join, 0, Message::EndOfStream());
  EXPECT_EQ(run.out->Controls(), std::vector<std::string>{"EndOfStream"});
}

TEST(HashJoin, LeftEndsBeforeBuild) {
  auto run = MakeRun(LeftSchema(), RightSchema(), Spec(JoinType::kFull));
  PushOk(*run.join, 0, Message::Batch(BatchFromJson(LeftSchema(), R"([{"k": 1, "v": "x"}, {"k": 5, "v": "y"}])")));
  PushOk(*run.join, 0, Message::EndOfStream());
  PushOk(*run.join, 1, Message::Batch(BatchFromJson(RightSchema(), R"([{"id": 1, "w": 10}, {"id": 6, "w": 60}])")));
  EXPECT_TRUE(run.out->messages.empty());
  PushOk(*run.join, 1, Message::EndOfStream());
  EXPECT_EQ(SortedRows(*run.out->Table()), (Rows{"1|x|1|10", "5|y|null|null", "null|null|6|60"}));
  EXPECT_EQ(run.out->Controls(), std::vector<std::string>{"EndOfStream"});
}

TEST(HashJoin, EmptyBuildSide) {
  const char* none = "[]";
  EXPECT_EQ(RunSimple(Spec(JoinType::kInner), kLeftRows, none), Rows{});
  EXPECT_EQ(RunSimple(Spec(JoinType::kSemi), kLeftRows, none), Rows{});
  EXPECT_EQ(RunSimple(Spec(JoinType::kRight), kLeftRows, none), Rows{});
  EXPECT_EQ(RunSimple(Spec(JoinType::kAnti), kLeftRows, none), (Rows{"1|a", "1|b", "2|c", "3|d", "null|e"}));
  EXPECT_EQ(RunSimple(Spec(JoinType::kLeft), kLeftRows, none).size(), 5u);
  // No build batch at all, only EndOfStream.
  auto run = MakeRun(LeftSchema(), RightSchema(), Spec(JoinType::kLeft));
  PushOk(*run.join, 1, Message::EndOfStream());
  PushOk(*run.join, 0, Message::Batch(BatchFromJson(LeftSchema(), kLeftRows)));
  PushOk(*run.join, 0, Message::EndOfStream());
  EXPECT_EQ(SortedRows(*run.out->Table()), (Rows{"1|a|null|null", "1|b|null|null", "2|c|null|null",
                                                 "3|d|null|null", "null|e|null|null"}));
}

TEST(HashJoin, EmptyProbeSide) {
  EXPECT_EQ(RunSimple(Spec(JoinType::kInner), "[]"), Rows{});
  EXPECT_EQ(RunSimple(Spec(JoinType::kAnti), "[]"), Rows{});
  EXPECT_EQ(RunSimple(Spec(JoinType::kRight), "[]"),
            (Rows{"null|null|1|10", "null|null|1|11", "null|null|2|20", "null|null|4|40", "null|null|null|50"}));
  // No probe batch at all.
  auto run = MakeRun(LeftSchema(), RightSchema(), Spec(JoinType::kFull));
  PushOk(*run.join, 0, Message::EndOfStream());
  PushOk(*run.join, 1, Message::Batch(BatchFromJson(RightSchema(), kRightRows)));
  PushOk(*run.join, 1, Message::EndOfStream());
  EXPECT_EQ(run.out->Table()->num_rows(), 5);
  EXPECT_EQ(run.out->Controls(), std::vector<std::string>{"EndOfStream"});
}

TEST(HashJoin, NameClashSuffixing) {
  auto left = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v_r", arrow::int64())});
  auto right = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::int64()),
                              arrow::field("v_r", arrow::int64())});
  auto spec = Spec(JoinType::kInner, {"k"}, {"k"});
  spec.right_suffix = "_r";
  auto join = MakeHashJoin(left, right, spec);
  ASSERT_TRUE(join.ok()) << join.status().ToString();
  std::vector<std::string> names;
  for (const auto& f : (*join)->output_schema()->fields()) names.push_back(f->name());
  EXPECT_EQ(names, (std::vector<std::string>{"k", "v_r", "k_r", "v", "v_r_r"}));
}

TEST(HashJoin, OutputBatchesAreBounded) {
  // 100k probe rows x 2 build rows of the same key: 200k output rows.
  const int64_t n = 100000;
  arrow::Int64Builder keys;
  arrow::StringBuilder values;
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_TRUE(keys.Append(i % 2 == 0 ? 7 : 8).ok());
    ASSERT_TRUE(values.Append("v").ok());
  }
  auto probe = arrow::RecordBatch::Make(LeftSchema(), n, {keys.Finish().ValueOrDie(), values.Finish().ValueOrDie()});
  for (auto type : {JoinType::kInner, JoinType::kLeft, JoinType::kSemi}) {
    auto run = MakeRun(LeftSchema(), RightSchema(), Spec(type));
    PushOk(*run.join, 1, Message::Batch(BatchFromJson(RightSchema(), R"([{"id": 7, "w": 1}, {"id": 7, "w": 2}])")));
    PushOk(*run.join, 1, Message::EndOfStream());
    PushOk(*run.join, 0, Message::Batch(probe));
    PushOk(*run.join, 0, Message::EndOfStream());
    int64_t total = 0;
    for (const auto& m : run.out->messages) {
      if (!m.is_batch()) continue;
      EXPECT_LE(m.batch()->num_rows(), kHashJoinMaxBatchRows);
      total += m.batch()->num_rows();
    }
    EXPECT_EQ(total, type == JoinType::kSemi ? n / 2 : (type == JoinType::kLeft ? n + n / 2 : n)) << ToString(type);
  }
}

TEST(HashJoin, StopsWhenDownstreamStops) {
  auto run = MakeRun(LeftSchema(), RightSchema(), Spec(JoinType::kInner), /*stop_after_batches=*/1);
  PushOk(*run.join, 1, Message::Batch(BatchFromJson(RightSchema(), kRightRows)));
  PushOk(*run.join, 1, Message::EndOfStream());
  EXPECT_EQ(*run.join->Push(0, Message::Batch(BatchFromJson(LeftSchema(), kLeftRows))), Flow::kStop);
  EXPECT_EQ(*run.join->Push(0, Message::Batch(BatchFromJson(LeftSchema(), kLeftRows))), Flow::kStop);
  EXPECT_EQ(run.out->messages.size(), 1u);
}

TEST(HashJoin, WatermarksAreTheMinimumAndBarriersWaitForBothInputs) {
  auto run = MakeRun(LeftSchema(), RightSchema(), Spec(JoinType::kInner));
  PushOk(*run.join, 1, Message::Watermark(10));
  PushOk(*run.join, 0, Message::Watermark(5));
  PushOk(*run.join, 0, Message::CheckpointBarrier(1));
  EXPECT_EQ(run.out->Controls(), std::vector<std::string>{"Watermark(5)"});
  PushOk(*run.join, 1, Message::CheckpointBarrier(1));
  // A watermark never overtakes buffered probe rows.
  PushOk(*run.join, 0, Message::Batch(BatchFromJson(LeftSchema(), kLeftRows)));
  PushOk(*run.join, 0, Message::Watermark(20));
  PushOk(*run.join, 1, Message::Watermark(30));
  PushOk(*run.join, 1, Message::Batch(BatchFromJson(RightSchema(), kRightRows)));
  const auto before_end = run.out->Controls();
  EXPECT_EQ(before_end, (std::vector<std::string>{"Watermark(5)", "CheckpointBarrier(1)"}));
  PushOk(*run.join, 1, Message::EndOfStream());
  ASSERT_GE(run.out->messages.size(), 4u);
  EXPECT_TRUE(run.out->messages[2].is_batch());
  PushOk(*run.join, 0, Message::EndOfStream());
  EXPECT_EQ(run.out->Controls(), (std::vector<std::string>{"Watermark(5)", "CheckpointBarrier(1)", "Watermark(20)",
                                                           "EndOfStream"}));
}

TEST(HashJoin, Errors) {
  auto message = [](const JoinSpec& spec, std::shared_ptr<arrow::Schema> left = LeftSchema()) {
    auto join = MakeHashJoin(left, RightSchema(), spec);
    return join.ok() ? std::string("ok") : join.status().message();
  };
  EXPECT_EQ(message(Spec(JoinType::kInner, {"nope"}, {"id"})),
            "join key 'nope' is not a column of the left input; its columns are: k, v");
  EXPECT_EQ(message(Spec(JoinType::kInner, {"k"}, {"nope"})),
            "join key 'nope' is not a column of the right input; its columns are: id, w");
  EXPECT_EQ(message(Spec(JoinType::kInner, {"v"}, {"id"})), "join key 0: left v is string, right id is int64");
  EXPECT_EQ(message(Spec(JoinType::kInner, {"k", "v"}, {"id"})),
            "join has 2 left keys but 1 right keys; they must pair up");
  EXPECT_EQ(message(Spec(JoinType::kInner, {}, {})), "join needs at least one key column pair");
  auto residual = Spec(JoinType::kInner);
  residual.residual = col("w") + lit(int64_t{1});
  EXPECT_EQ(message(residual), "join residual `(w + 1)` must be boolean, found int64");
  residual.residual = col("zz") > lit(int64_t{1});
  EXPECT_EQ(message(residual), "column 'zz' does not exist; the columns are: k, v, id, w");
  auto list_left = arrow::schema({arrow::field("k", arrow::list(arrow::int64()))});
  auto list_right = arrow::schema({arrow::field("id", arrow::list(arrow::int64()))});
  auto list_join = MakeHashJoin(list_left, list_right, Spec(JoinType::kInner));
  ASSERT_FALSE(list_join.ok());
  EXPECT_EQ(list_join.status().message().rfind("join key 0: left k is list<int64>, right id is list<int64>; "
                                               "this type cannot be a join key", 0),
            0u)
      << list_join.status().message();
}

// Nested-loop reference over (left row id, right row id) pairs; -1 for a missing side.
std::vector<std::pair<int64_t, int64_t>> NestedLoop(const std::vector<std::optional<int64_t>>& lk,
                                                    const std::vector<int64_t>& lv,
                                                    const std::vector<std::optional<int64_t>>& rk,
                                                    const std::vector<int64_t>& rw, JoinType type, bool residual) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (size_t i = 0; i < lk.size(); ++i) {
    bool matched = false;
    for (size_t j = 0; j < rk.size(); ++j) {
      if (lk[i] && rk[j] && *lk[i] == *rk[j] && (!residual || lv[i] < rw[j])) {
        out.emplace_back(i, j);
        matched = true;
      }
    }
    if (!matched && type == JoinType::kLeft) out.emplace_back(i, -1);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Semi and anti joins keep one build row per key (dropped while inserting for one
// integer key, in bulk for other keys): many duplicates, both key layouts.
TEST(HashJoin, SemiAndAntiWithManyDuplicateBuildKeysRandomized) {
  std::mt19937_64 rng(7);
  for (bool string_key : {false, true}) {
    auto type = string_key ? arrow::utf8() : arrow::int64();
    auto left = arrow::schema({arrow::field("lid", arrow::int64()), arrow::field("k", type)});
    auto right = arrow::schema({arrow::field("k", type)});
    std::set<int64_t> right_keys;
    std::string right_json = "[", left_json = "[";
    auto key_json = [&](int64_t key) {
      return string_key ? "\"s" + std::to_string(key) + "\"" : std::to_string(key);
    };
    for (int i = 0; i < 20000; ++i) {  // 20000 rows over at most 2000 keys
      const int64_t key = static_cast<int64_t>(rng() % 4000) / 2 * 2;
      right_keys.insert(key);
      right_json += (i ? ", " : "") + std::string("{\"k\": ") + key_json(key) + "}";
    }
    std::vector<int64_t> want_semi, want_anti;
    for (int i = 0; i < 3000; ++i) {
      const int64_t key = static_cast<int64_t>(rng() % 4000);
      (right_keys.count(key) ? want_semi : want_anti).push_back(i);
      left_json += (i ? ", " : "") + std::string("{\"lid\": ") + std::to_string(i) + ", \"k\": " + key_json(key) + "}";
    }
    right_json += "]";
    left_json += "]";
    for (auto join_type : {JoinType::kSemi, JoinType::kAnti}) {
      auto run = MakeRun(left, right, Spec(join_type, {"k"}, {"k"}));
      PushOk(*run.join, 1, Message::Batch(BatchFromJson(right, right_json)));
      PushOk(*run.join, 1, Message::EndOfStream());
      PushOk(*run.join, 0, Message::Batch(BatchFromJson(left, left_json)));
      PushOk(*run.join, 0, Message::EndOfStream());
      auto table = run.out->Table()->CombineChunks().ValueOrDie();
      std::vector<int64_t> got;
      if (table->num_rows() > 0) {
        const auto& lid = static_cast<const arrow::Int64Array&>(*table->GetColumnByName("lid")->chunk(0));
        for (int64_t i = 0; i < lid.length(); ++i) got.push_back(lid.Value(i));
      }
      EXPECT_EQ(got, join_type == JoinType::kSemi ? want_semi : want_anti)
          << ToString(join_type) << (string_key ? " string key" : " int key");
    }
  }
}

TEST(JoinHashTable, EstimatesDistinctHashesWithinAFewPercent) {
  std::mt19937_64 rng(11);
  for (int64_t distinct : {100, 5000, 60000, 1000000}) {
    std::vector<uint64_t> values(distinct);
    for (auto& v : values) v = rng();
    std::vector<uint64_t> hashes;
    for (int64_t i = 0; i < 2000000; ++i) hashes.push_back(values[rng() % distinct]);
    const int64_t estimate = EstimateDistinctHashes(hashes.data(), static_cast<int64_t>(hashes.size()));
    // Rows drawn at random may miss a few of the values: compare with the ones drawn.
    std::sort(hashes.begin(), hashes.end());
    const auto drawn = std::unique(hashes.begin(), hashes.end()) - hashes.begin();
    EXPECT_NEAR(static_cast<double>(estimate), static_cast<double>(drawn), 0.06 * static_cast<double>(drawn))
        << distinct << " distinct";
  }
}

TEST(HashJoin, SlotsFollowDistinctKeysNotRows) {
  // 200K build rows over 5000 keys (a foreign key): the slots are sized by the keys, and
  // every probe row still finds all 40 rows of its key.
  auto right = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("w", arrow::int64())});
  arrow::Int64Builder ids, ws;
  for (int64_t i = 0; i < 200000; ++i) {
    ASSERT_TRUE(ids.Append((i * 7919) % 5000).ok());
    ASSERT_TRUE(ws.Append(i).ok());
  }
  auto build_batch = arrow::RecordBatch::Make(right, 200000, {ids.Finish().ValueOrDie(), ws.Finish().ValueOrDie()});
  auto left = arrow::schema({arrow::field("k", arrow::int64())});
  arrow::Int64Builder ks;
  for (int64_t k = 0; k < 10000; ++k) ASSERT_TRUE(ks.Append(k).ok());
  auto probe_batch = arrow::RecordBatch::Make(left, 10000, {ks.Finish().ValueOrDie()});
  for (auto type : {JoinType::kInner, JoinType::kSemi}) {
    JoinSpec spec = Spec(type, {"k"}, {"id"});
    auto build = BuildJoinSide(left, right, spec, {build_batch});
    ASSERT_TRUE(build.ok()) << build.status().ToString();
    EXPECT_LE(build->table->num_slots(), 4 * 5000 * 5 / 4) << ToString(type);
    auto probe = MakeHashJoinProbe(left, spec, *build);
    ASSERT_TRUE(probe.ok()) << probe.status().ToString();
    RecordingOperator out((*probe)->output_schema());
    (*probe)->ConnectTo(&out, 0);
    PushOk(**probe, 0, Message::Batch(probe_batch));
    PushOk(**probe, 0, Message::EndOfStream());
    EXPECT_EQ(out.Table()->num_rows(), type == JoinType::kInner ? 200000 : 5000) << ToString(type);
  }
}

// Probe rows the key filter rules out must be exactly the rows without a match, while
// the filter is on (probe rows that mostly miss) and after the join turned it off (rows
// that all match), with the table built on one thread or two.
TEST(HashJoin, KeyFilterKeepsEveryMatch) {
  std::mt19937_64 rng(7);
  constexpr int64_t kKeyRange = 4'000'000;
  auto right = arrow::schema({arrow::field("rid", arrow::int64()), arrow::field("k", arrow::int64())});
  auto left = arrow::schema({arrow::field("lid", arrow::int64()), arrow::field("k", arrow::int64())});
  // 60K build rows: distinct keys, a few repeated, 1% nulls.
  std::multimap<int64_t, int64_t> build_rows;  // key -> rid
  std::vector<int64_t> build_keys;
  arrow::Int64Builder rid_b, rk_b;
  for (int64_t i = 0; i < 60'000; ++i) {
    ASSERT_TRUE(rid_b.Append(i).ok());
    if (rng() % 100 == 0) {
      ASSERT_TRUE(rk_b.AppendNull().ok());
      continue;
    }
    const int64_t key = i % 10 == 0 && !build_keys.empty() ? build_keys[rng() % build_keys.size()]
                                                           : static_cast<int64_t>(rng() % kKeyRange);
    ASSERT_TRUE(rk_b.Append(key).ok());
    build_keys.push_back(key);
    build_rows.emplace(key, i);
  }
  auto build_batch = arrow::RecordBatch::Make(right, 60'000, {rid_b.Finish().ValueOrDie(), rk_b.Finish().ValueOrDie()});
  // Probe: 100K rows that mostly miss (the filter stays on), then 200K that all match (it
  // turns off about halfway); 1% nulls.
  std::vector<std::optional<int64_t>> probe_keys;
  std::vector<std::shared_ptr<arrow::RecordBatch>> probe_batches;
  for (int64_t start = 0; start < 300'000; start += 10'000) {
    arrow::Int64Builder lid_b, lk_b;
    for (int64_t i = start; i < start + 10'000; ++i) {
      ASSERT_TRUE(lid_b.Append(i).ok());
      std::optional<int64_t> key;
      if (rng() % 100 != 0) {
        key = i < 100'000 ? static_cast<int64_t>(rng() % kKeyRange) : build_keys[rng() % build_keys.size()];
      }
      probe_keys.push_back(key);
      ASSERT_TRUE((key ? lk_b.Append(*key) : lk_b.AppendNull()).ok());
    }
    probe_batches.push_back(arrow::RecordBatch::Make(left, 10'000, {lid_b.Finish().ValueOrDie(), lk_b.Finish().ValueOrDie()}));
  }
  for (auto type : {JoinType::kInner, JoinType::kLeft, JoinType::kSemi, JoinType::kAnti}) {
    std::vector<std::pair<int64_t, int64_t>> want;  // (lid, rid or -1)
    for (int64_t lid = 0; lid < static_cast<int64_t>(probe_keys.size()); ++lid) {
      auto [first, last] = probe_keys[lid] ? build_rows.equal_range(*probe_keys[lid])
                                           : std::make_pair(build_rows.end(), build_rows.end());
      const bool matched = first != last;
      if (type == JoinType::kSemi || type == JoinType::kAnti) {
        if (matched == (type == JoinType::kSemi)) want.emplace_back(lid, -1);
        continue;
      }
      for (auto it = first; it != last; ++it) want.emplace_back(lid, it->second);
      if (!matched && type == JoinType::kLeft) want.emplace_back(lid, -1);
    }
    std::sort(want.begin(), want.end());
    for (int threads : {1, 2}) {
      const auto spec = Spec(type, {"k"}, {"k"});
      auto build = BuildJoinSide(left, right, spec, {build_batch}, threads);
      ASSERT_TRUE(build.ok()) << build.status().ToString();
      auto probe = MakeHashJoinProbe(left, spec, *build);
      ASSERT_TRUE(probe.ok()) << probe.status().ToString();
      RecordingOperator out((*probe)->output_schema());
      (*probe)->ConnectTo(&out, 0);
      for (const auto& b : probe_batches) PushOk(**probe, 0, Message::Batch(b));
      PushOk(**probe, 0, Message::EndOfStream());
      auto table = out.Table()->CombineChunks().ValueOrDie();
      const auto& lid = static_cast<const arrow::Int64Array&>(*table->GetColumnByName("lid")->chunk(0));
      std::vector<std::pair<int64_t, int64_t>> got;
      auto rid_column = table->GetColumnByName("rid");
      for (int64_t i = 0; i < table->num_rows(); ++i) {
        int64_t rid = -1;
        if (rid_column != nullptr) {
          const auto& rids = static_cast<const arrow::Int64Array&>(*rid_column->chunk(0));
          if (rids.IsValid(i)) rid = rids.Value(i);
        }
        got.emplace_back(lid.Value(i), rid);
      }
      std::sort(got.begin(), got.end());
      EXPECT_EQ(got, want) << ToString(type) << " on " << threads << " threads";
    }
  }
}

TEST(HashJoin, RandomizedAgainstNestedLoop) {
  std::mt19937_64 rng(42);
  const int64_t num_left = 20000, num_right = 5000;
  auto left = arrow::schema({arrow::field("lid", arrow::int64()), arrow::field("k", arrow::int64()),
                             arrow::field("v", arrow::int64())});
  auto right = arrow::schema({arrow::field("rid", arrow::int64()), arrow::field("k", arrow::int64()),
                              arrow::field("w", arrow::int64())});
  // Keys in [0, 3000): duplicates on both sides, some keys on one side only; ~2% nulls.
  auto make_side = [&](int64_t n, const std::shared_ptr<arrow::Schema>& schema,
                       std::vector<std::optional<int64_t>>* keys, std::vector<int64_t>* values) {
    std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
    for (int64_t start = 0; start < n; start += 1500) {
      arrow::Int64Builder id_b, key_b, value_b;
      for (int64_t i = start; i < std::min(n, start + 1500); ++i) {
        std::optional<int64_t> key;
        if (rng() % 50 != 0) key = static_cast<int64_t>(rng() % 3000);
        const int64_t value = static_cast<int64_t>(rng() % 100);
        keys->push_back(key);
        values->push_back(value);
        EXPECT_TRUE(id_b.Append(i).ok());
        EXPECT_TRUE((key ? key_b.Append(*key) : key_b.AppendNull()).ok());
        EXPECT_TRUE(value_b.Append(value).ok());
      }
      const int64_t len = id_b.length();
      batches.push_back(arrow::RecordBatch::Make(
          schema, len, {id_b.Finish().ValueOrDie(), key_b.Finish().ValueOrDie(), value_b.Finish().ValueOrDie()}));
    }
    return batches;
  };
  std::vector<std::optional<int64_t>> lk, rk;
  std::vector<int64_t> lv, rw;
  auto left_batches = make_side(num_left, left, &lk, &lv);
  auto right_batches = make_side(num_right, right, &rk, &rw);

  for (auto type : {JoinType::kInner, JoinType::kLeft}) {
    for (bool residual : {false, true}) {
      auto spec = Spec(type, {"k"}, {"k"});
      if (residual) spec.residual = col("v") < col("w");
      auto run = MakeRun(left, right, spec);
      // Interleave: half of the probe batches arrive before the build ends.
      size_t l = 0;
      for (const auto& b : right_batches) {
        PushOk(*run.join, 1, Message::Batch(b));
        if (l < left_batches.size() / 2) PushOk(*run.join, 0, Message::Batch(left_batches[l++]));
      }
      PushOk(*run.join, 1, Message::EndOfStream());
      for (; l < left_batches.size(); ++l) PushOk(*run.join, 0, Message::Batch(left_batches[l]));
      PushOk(*run.join, 0, Message::EndOfStream());

      auto table = run.out->Table()->CombineChunks().ValueOrDie();
      const auto& lid = static_cast<const arrow::Int64Array&>(*table->GetColumnByName("lid")->chunk(0));
      const auto& rid = static_cast<const arrow::Int64Array&>(*table->GetColumnByName("rid")->chunk(0));
      std::vector<std::pair<int64_t, int64_t>> got;
      for (int64_t i = 0; i < table->num_rows(); ++i) {
        got.emplace_back(lid.Value(i), rid.IsNull(i) ? -1 : rid.Value(i));
      }
      std::sort(got.begin(), got.end());
      auto want = NestedLoop(lk, lv, rk, rw, type, residual);
      EXPECT_GT(want.size(), 10000u);
      EXPECT_EQ(got, want) << ToString(type) << (residual ? " with residual" : "");
    }
  }
}

}  // namespace
}  // namespace sabot
