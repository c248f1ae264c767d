// Right semi and right anti hash joins: right_semi(L, R) must give exactly the rows of
// semi(R, L), right_anti(L, R) those of anti(R, L): with null and duplicate keys on both
// sides, a residual, empty inputs, probe copies on 1, 2 and 8 threads sharing one build
// side, and under a memory budget small enough to spill.
#include <algorithm>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/exec/memory_budget.h"
#include "sabot/ops/hash_join.h"
#include "sabot/ops/tests/test_util.h"

namespace sabot {
namespace {

using testing::RecordingOperator;
using Batches = std::vector<std::shared_ptr<arrow::RecordBatch>>;

// Both sides have a column "k" (the key): the residual's and the output's names must not
// depend on which side is built.
std::shared_ptr<arrow::Schema> LeftSchema() {
  return arrow::schema({arrow::field("lid", arrow::int64()), arrow::field("k", arrow::int64()),
                        arrow::field("v", arrow::int64())});
}
std::shared_ptr<arrow::Schema> RightSchema() {
  return arrow::schema({arrow::field("rid", arrow::int64()), arrow::field("k", arrow::int64()),
                        arrow::field("w", arrow::int64())});
}

// `rows` rows in batches of 700: ids 0.., keys in [0, key_range) (duplicates), 1 in 30 null,
// values in [0, 100).
Batches MakeSide(const std::shared_ptr<arrow::Schema>& schema, int64_t rows, int64_t key_range, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Batches batches;
  for (int64_t start = 0; start < rows; start += 700) {
    arrow::Int64Builder id, key, value;
    const int64_t end = std::min(rows, start + 700);
    for (int64_t i = start; i < end; ++i) {
      EXPECT_TRUE(id.Append(i).ok());
      EXPECT_TRUE((rng() % 30 == 0 ? key.AppendNull() : key.Append(static_cast<int64_t>(rng() % key_range))).ok());
      EXPECT_TRUE(value.Append(static_cast<int64_t>(rng() % 100)).ok());
    }
    batches.push_back(arrow::RecordBatch::Make(schema, end - start, {*id.Finish(), *key.Finish(), *value.Finish()}));
  }
  return batches;
}

JoinSpec Spec(JoinType type, bool residual) {
  JoinSpec spec;
  spec.type = type;
  spec.left_keys = {"k"};
  spec.right_keys = {"k"};
  if (residual) spec.residual = col("v") < col("w");
  return spec;
}

// Every row as text, sorted: the output order of these joins is not part of the contract.
std::vector<std::string> SortedRows(const std::vector<std::shared_ptr<arrow::Table>>& tables) {
  std::vector<std::string> rows;
  for (const auto& table : tables) {
    auto combined = table->CombineChunks().ValueOrDie();
    for (int64_t i = 0; i < combined->num_rows(); ++i) {
      std::string row;
      for (int c = 0; c < combined->num_columns(); ++c) {
        const auto& column = static_cast<const arrow::Int64Array&>(*combined->column(c)->chunk(0));
        row += (c > 0 ? "|" : "") + (column.IsNull(i) ? std::string("null") : std::to_string(column.Value(i)));
      }
      rows.push_back(std::move(row));
    }
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

struct Output {
  std::shared_ptr<arrow::Schema> schema;
  std::vector<std::string> rows;
};

// One operator over both inputs: half of the probe batches arrive before the build ends.
Output RunJoin(const std::shared_ptr<arrow::Schema>& left, const std::shared_ptr<arrow::Schema>& right,
               const JoinSpec& spec, const Batches& left_batches, const Batches& right_batches,
               std::shared_ptr<MemoryBudget> budget = nullptr) {
  auto join = MakeHashJoin(left, right, spec, std::move(budget));
  EXPECT_TRUE(join.ok()) << join.status().ToString();
  if (!join.ok()) return {};
  RecordingOperator out((*join)->output_schema());
  (*join)->ConnectTo(&out, 0);
  size_t l = 0;
  for (const auto& batch : right_batches) {
    EXPECT_TRUE((*join)->Push(1, Message::Batch(batch)).ok());
    if (l < left_batches.size() / 2) {
      EXPECT_TRUE((*join)->Push(0, Message::Batch(left_batches[l++])).ok());
    }
  }
  EXPECT_TRUE((*join)->Push(1, Message::EndOfStream()).ok());
  for (; l < left_batches.size(); ++l) EXPECT_TRUE((*join)->Push(0, Message::Batch(left_batches[l])).ok());
  EXPECT_TRUE((*join)->Push(0, Message::EndOfStream()).ok());
  EXPECT_EQ(out.Controls(), std::vector<std::string>{"EndOfStream"});
  for (const auto& m : out.messages) {
    if (m.is_batch()) {
      EXPECT_LE(m.batch()->num_rows(), kHashJoinMaxBatchRows);
    }
  }
  return {(*join)->output_schema(), SortedRows({out.Table()})};
}

// A build side shared by `threads` probe copies, each probing every threads-th left batch
// on its own thread; the end of input reaches the copies once all are done.
Output RunParallel(const JoinSpec& spec, const Batches& left_batches, const Batches& right_batches, int threads) {
  auto build = BuildJoinSide(LeftSchema(), RightSchema(), spec, right_batches, std::min(threads, 2));
  EXPECT_TRUE(build.ok()) << build.status().ToString();
  if (!build.ok()) return {};
  std::vector<std::unique_ptr<Operator>> copies;
  std::vector<std::unique_ptr<RecordingOperator>> outs;
  for (int t = 0; t < threads; ++t) {
    copies.push_back(MakeHashJoinProbe(LeftSchema(), spec, *build).ValueOrDie());
    outs.push_back(std::make_unique<RecordingOperator>(copies.back()->output_schema()));
    copies.back()->ConnectTo(outs.back().get(), 0);
  }
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (size_t b = t; b < left_batches.size(); b += threads) {
        EXPECT_TRUE(copies[t]->Push(0, Message::Batch(left_batches[b])).ok());
      }
    });
  }
  for (auto& w : workers) w.join();
  std::vector<std::shared_ptr<arrow::Table>> tables;
  int64_t emitting = 0;
  for (int t = 0; t < threads; ++t) {
    EXPECT_TRUE(copies[t]->Push(0, Message::EndOfStream()).ok());
    tables.push_back(outs[t]->Table());
    emitting += static_cast<int64_t>(tables.back()->num_rows() > 0);
  }
  EXPECT_LE(emitting, 1) << "the build rows come from one copy only";
  return {copies.front()->output_schema(), SortedRows(tables)};
}

// The reference: semi / anti with the sides swapped.
JoinType Mirror(JoinType type) { return type == JoinType::kRightSemi ? JoinType::kSemi : JoinType::kAnti; }

TEST(RightSemiJoin, MatchesTheSwappedSemiAndAntiJoin) {
  const Batches left = MakeSide(LeftSchema(), 6000, 400, 1);
  const Batches right = MakeSide(RightSchema(), 9000, 600, 2);
  for (JoinType type : {JoinType::kRightSemi, JoinType::kRightAnti}) {
    for (bool residual : {false, true}) {
      const Output want = RunJoin(RightSchema(), LeftSchema(), Spec(Mirror(type), residual), right, left);
      ASSERT_GT(want.rows.size(), 500u);
      const std::string what = std::string(ToString(type)) + (residual ? " with residual" : "");
      const Output got = RunJoin(LeftSchema(), RightSchema(), Spec(type, residual), left, right);
      EXPECT_TRUE(got.schema->Equals(*RightSchema())) << got.schema->ToString();
      EXPECT_EQ(got.rows, want.rows) << what;
      for (int threads : {1, 2, 8}) {
        EXPECT_EQ(RunParallel(Spec(type, residual), left, right, threads).rows, want.rows)
            << what << " on " << threads << " threads";
      }
      // 64 KiB holds a few hundred build rows: the join spills and repartitions.
      const Output spilled =
          RunJoin(LeftSchema(), RightSchema(), Spec(type, residual), left, right, MemoryBudget::Make(64 << 10));
      EXPECT_EQ(spilled.rows, want.rows) << what << " under a budget";
    }
  }
}

TEST(RightSemiJoin, NullKeysNeverMatch) {
  const Batches left = MakeSide(LeftSchema(), 50, 5, 3);
  const Batches right = MakeSide(RightSchema(), 200, 10, 4);
  auto semi = RunJoin(LeftSchema(), RightSchema(), Spec(JoinType::kRightSemi, false), left, right);
  auto anti = RunJoin(LeftSchema(), RightSchema(), Spec(JoinType::kRightAnti, false), left, right);
  int64_t null_keys = 0;
  for (const auto& row : semi.rows) EXPECT_EQ(row.find("|null|"), std::string::npos) << row;
  for (const auto& row : anti.rows) null_keys += static_cast<int64_t>(row.find("|null|") != std::string::npos);
  EXPECT_GT(null_keys, 0);
  // Each right row is in exactly one of the two.
  EXPECT_EQ(semi.rows.size() + anti.rows.size(), 200u);
}

TEST(RightSemiJoin, EmptyInputs) {
  const Batches rows = MakeSide(RightSchema(), 100, 10, 5);
  const Batches empty_left = {arrow::RecordBatch::MakeEmpty(LeftSchema()).ValueOrDie()};
  const Batches empty_right = {arrow::RecordBatch::MakeEmpty(RightSchema()).ValueOrDie()};
  const auto all = RunJoin(LeftSchema(), RightSchema(), Spec(JoinType::kRightAnti, false), {}, rows).rows;
  EXPECT_EQ(all.size(), 100u);
  for (const Batches& left : {Batches{}, empty_left}) {
    EXPECT_TRUE(RunJoin(LeftSchema(), RightSchema(), Spec(JoinType::kRightSemi, false), left, rows).rows.empty());
    EXPECT_EQ(RunJoin(LeftSchema(), RightSchema(), Spec(JoinType::kRightAnti, true), left, rows).rows, all);
    EXPECT_EQ(RunParallel(Spec(JoinType::kRightAnti, false), left, rows, 2).rows, all);
  }
  const Batches left = MakeSide(LeftSchema(), 100, 10, 6);
  for (JoinType type : {JoinType::kRightSemi, JoinType::kRightAnti}) {
    for (const Batches& right : {Batches{}, empty_right}) {
      EXPECT_TRUE(RunJoin(LeftSchema(), RightSchema(), Spec(type, false), left, right).rows.empty());
    }
  }
}

TEST(RightSemiJoin, OutputColumnsAreRightColumns) {
  auto spec = Spec(JoinType::kRightSemi, false);
  spec.output_columns = std::vector<std::string>{"w", "k"};
  auto join = MakeHashJoin(LeftSchema(), RightSchema(), spec);
  ASSERT_TRUE(join.ok()) << join.status().ToString();
  EXPECT_EQ((*join)->output_schema()->ToString(), "k: int64\nw: int64");
  spec.output_columns = std::vector<std::string>{"v"};
  auto bad = MakeHashJoin(LeftSchema(), RightSchema(), spec);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'v' is not a column of the join"), std::string::npos);
}

}  // namespace
}  // namespace sabot
