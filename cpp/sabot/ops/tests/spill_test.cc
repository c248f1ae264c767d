// Spilling under a memory budget: aggregation, join and sort give exactly the results
// they give without a budget, write spill files while running and leave none behind;
// with spilling disabled they fail with a clear error instead.
#include <filesystem>
#include <string>
#include <vector>

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>
#include <gtest/gtest.h>

#include "sabot/exec/memory_budget.h"
#include "sabot/ops/hash_aggregate.h"
#include "sabot/ops/hash_join.h"
#include "sabot/ops/sort.h"
#include "sabot/ops/tests/test_util.h"

namespace sabot {
namespace {

using testing::RecordingOperator;

constexpr int64_t kBudget = 1 << 20;  // 1 MiB, well below every state below
constexpr int64_t kBatchRows = 8192;

// Rows [first, first + n): k = (i * 7919) % groups (null every 997th row), v = i,
// s = "s<k % 100>".
std::shared_ptr<arrow::RecordBatch> FactBatch(int64_t first, int64_t n, int64_t groups) {
  arrow::Int64Builder k, v;
  arrow::StringBuilder s;
  for (int64_t i = first; i < first + n; ++i) {
    const int64_t key = (i * 7919) % groups;
    EXPECT_TRUE((i % 997 == 0 ? k.AppendNull() : k.Append(key)).ok());
    EXPECT_TRUE(v.Append(i).ok());
    EXPECT_TRUE(s.Append("s" + std::to_string(key % 100)).ok());
  }
  auto schema = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::int64()),
                               arrow::field("s", arrow::utf8())});
  return arrow::RecordBatch::Make(schema, n, {*k.Finish(), *v.Finish(), *s.Finish()});
}

std::vector<std::shared_ptr<arrow::RecordBatch>> FactBatches(int64_t rows, int64_t groups) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> out;
  for (int64_t first = 0; first < rows; first += kBatchRows) {
    out.push_back(FactBatch(first, std::min(kBatchRows, rows - first), groups));
  }
  return out;
}

// The table's rows in a canonical order (sorted by every column), for results whose
// row order is not part of the contract.
std::shared_ptr<arrow::Table> Canonical(const std::shared_ptr<arrow::Table>& table) {
  std::vector<arrow::compute::SortKey> keys;
  for (int c = 0; c < table->num_columns(); ++c) keys.emplace_back(arrow::FieldRef(c));
  auto order = arrow::compute::SortIndices(arrow::Datum(table), arrow::compute::SortOptions(keys)).ValueOrDie();
  auto sorted = arrow::compute::Take(arrow::Datum(table), arrow::Datum(order)).ValueOrDie();
  return sorted.table()->CombineChunks().ValueOrDie();
}

void ExpectSameRows(const std::shared_ptr<arrow::Table>& got, const std::shared_ptr<arrow::Table>& want) {
  ASSERT_EQ(got->num_rows(), want->num_rows());
  auto a = Canonical(got), b = Canonical(want);
  EXPECT_TRUE(a->Equals(*b)) << "results differ";
}

// What a run of one operator produced, and what its budget saw.
struct Outcome {
  Status status;
  std::shared_ptr<arrow::Table> table;
  int64_t spill_files = 0;
  bool spill_folder_empty_after = true;
  bool spill_folder_gone_after = true;
  int64_t used_after = 0;
};

// Pushes `inputs` (port, batch; null batch = EndOfStream) into the operator `make`
// builds with `budget`, then tears everything down and checks the spill folder.
template <typename Make>
Outcome RunOperator(const Make& make, std::shared_ptr<MemoryBudget> budget,
                    const std::vector<std::pair<int, std::shared_ptr<arrow::RecordBatch>>>& inputs) {
  Outcome outcome;
  std::filesystem::path folder;
  {
    auto op = make(budget);
    RecordingOperator out(op->output_schema());
    op->ConnectTo(&out, 0);
    for (const auto& [port, batch] : inputs) {
      auto flow = op->Push(port, batch ? Message::Batch(batch) : Message::EndOfStream());
      if (!flow.ok()) {
        outcome.status = flow.status();
        break;
      }
    }
    if (outcome.status.ok()) {
      EXPECT_EQ(out.Controls().back(), "EndOfStream");
      outcome.table = out.Table();
    }
    if (budget) {
      outcome.spill_files = budget->spill_files();
      folder = budget->spill_directory();
    }
    op.reset();  // a failed run drops its operator too: its spill files go with it
    if (!folder.empty()) outcome.spill_folder_empty_after = std::filesystem::is_empty(folder);
    if (budget) outcome.used_after = budget->used();
  }
  budget.reset();
  if (!folder.empty()) outcome.spill_folder_gone_after = !std::filesystem::exists(folder);
  return outcome;
}

void ExpectSpilledAndCleanedUp(const Outcome& run) {
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_GT(run.spill_files, 0);
  EXPECT_TRUE(run.spill_folder_empty_after);
  EXPECT_TRUE(run.spill_folder_gone_after);
  EXPECT_EQ(run.used_after, 0);
}

void ExpectBudgetError(const Outcome& run, const std::string& owner) {
  ASSERT_FALSE(run.status.ok());
  EXPECT_TRUE(run.status.IsOutOfMemory()) << run.status.ToString();
  EXPECT_NE(run.status.message().find(owner + " needs more memory than the job's budget of 1.0 MiB"),
            std::string::npos)
      << run.status.message();
  EXPECT_NE(run.status.message().find("Spilling is disabled"), std::string::npos);
  EXPECT_EQ(run.spill_files, 0);
  EXPECT_EQ(run.used_after, 0);
}

// ---- Aggregation ---------------------------------------------------------------------

std::vector<std::pair<int, std::shared_ptr<arrow::RecordBatch>>> OnePort(
    const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches) {
  std::vector<std::pair<int, std::shared_ptr<arrow::RecordBatch>>> out;
  for (const auto& b : batches) out.emplace_back(0, b);
  out.emplace_back(0, nullptr);
  return out;
}

auto MakeAggregate(std::vector<std::string> keys) {
  return [keys](std::shared_ptr<MemoryBudget> budget) {
    std::vector<AggregateSpec> aggregates = {
        {AggregateFunction::kSum, "v", ""},   {AggregateFunction::kCountAll, "", ""},
        {AggregateFunction::kMin, "v", ""},   {AggregateFunction::kMax, "s", ""},
        {AggregateFunction::kFirst, "v", ""}, {AggregateFunction::kLast, "v", ""},
        {AggregateFunction::kMean, "v", ""},
    };
    auto schema = FactBatch(0, 1, 1)->schema();
    return MakeHashAggregate(schema, keys, aggregates, std::move(budget)).ValueOrDie();
  };
}

TEST(Spill, AggregationUnderABudgetGivesTheSameResult) {
  const auto input = OnePort(FactBatches(200'000, 50'000));
  auto want = RunOperator(MakeAggregate({"k"}), nullptr, input);
  ASSERT_TRUE(want.status.ok()) << want.status.ToString();
  ASSERT_EQ(want.table->num_rows(), 50'001);  // 50k keys and the null key

  auto got = RunOperator(MakeAggregate({"k"}), MemoryBudget::Make(kBudget), input);
  ExpectSpilledAndCleanedUp(got);
  ExpectSameRows(got.table, want.table);
}

TEST(Spill, AggregationRepartitionsWhenAPartitionStillDoesNotFit) {
  // 200k groups over two keys: a 256 KiB budget leaves each first-level partition
  // (about 12k groups) too big, so partitions spill again a level down.
  const auto input = OnePort(FactBatches(200'000, 200'000));
  auto want = RunOperator(MakeAggregate({"s", "k"}), nullptr, input);
  ASSERT_TRUE(want.status.ok()) << want.status.ToString();
  auto got = RunOperator(MakeAggregate({"s", "k"}), MemoryBudget::Make(256 << 10), input);
  ExpectSpilledAndCleanedUp(got);
  EXPECT_GT(got.spill_files, 2 * 16);
  ExpectSameRows(got.table, want.table);
}

TEST(Spill, AggregationWithoutSpillingFailsClearly) {
  auto got = RunOperator(MakeAggregate({"k"}), MemoryBudget::Make(kBudget, /*allow_spill=*/false),
                         OnePort(FactBatches(200'000, 50'000)));
  ExpectBudgetError(got, "hash aggregate");
}

TEST(Spill, AggregationThatFitsDoesNotSpill) {
  auto got = RunOperator(MakeAggregate({"k"}), MemoryBudget::Make(kBudget), OnePort(FactBatches(20'000, 100)));
  ASSERT_TRUE(got.status.ok());
  EXPECT_EQ(got.spill_files, 0);
  EXPECT_EQ(got.table->num_rows(), 101);
}

// ---- Join ----------------------------------------------------------------------------

// Build (right): 100k rows, id = i % 60'000 (duplicate keys), null every 500th row.
// Probe (left): 80k rows, k = (i * 3) % 90'000 (some keys missing on the right), null
// every 700th row. Batches of both sides interleave, so left rows are also buffered
// before the build ends.
std::vector<std::pair<int, std::shared_ptr<arrow::RecordBatch>>> JoinInputs() {
  auto right_schema = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("w", arrow::int64())});
  std::vector<std::shared_ptr<arrow::RecordBatch>> right, left;
  for (int64_t first = 0; first < 100'000; first += kBatchRows) {
    const int64_t n = std::min(kBatchRows, 100'000 - first);
    arrow::Int64Builder id, w;
    for (int64_t i = first; i < first + n; ++i) {
      EXPECT_TRUE((i % 500 == 0 ? id.AppendNull() : id.Append(i % 60'000)).ok());
      EXPECT_TRUE(w.Append(i).ok());
    }
    right.push_back(arrow::RecordBatch::Make(right_schema, n, {*id.Finish(), *w.Finish()}));
  }
  auto left_schema = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::utf8())});
  for (int64_t first = 0; first < 80'000; first += kBatchRows) {
    const int64_t n = std::min(kBatchRows, 80'000 - first);
    arrow::Int64Builder k;
    arrow::StringBuilder v;
    for (int64_t i = first; i < first + n; ++i) {
      EXPECT_TRUE((i % 700 == 0 ? k.AppendNull() : k.Append((i * 3) % 90'000)).ok());
      EXPECT_TRUE(v.Append("row" + std::to_string(i)).ok());
    }
    left.push_back(arrow::RecordBatch::Make(left_schema, n, {*k.Finish(), *v.Finish()}));
  }
  std::vector<std::pair<int, std::shared_ptr<arrow::RecordBatch>>> out;
  for (size_t i = 0; i < std::max(left.size(), right.size()); ++i) {
    if (i < right.size()) out.emplace_back(1, right[i]);
    if (i < left.size()) out.emplace_back(0, left[i]);
  }
  out.emplace_back(1, nullptr);
  out.emplace_back(0, nullptr);
  return out;
}

auto MakeJoin(JoinType type) {
  return [type](std::shared_ptr<MemoryBudget> budget) {
    auto left = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::utf8())});
    auto right = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("w", arrow::int64())});
    JoinSpec spec;
    spec.type = type;
    spec.left_keys = {"k"};
    spec.right_keys = {"id"};
    return MakeHashJoin(left, right, spec, std::move(budget)).ValueOrDie();
  };
}

class SpillJoin : public ::testing::TestWithParam<JoinType> {};

TEST_P(SpillJoin, UnderABudgetGivesTheSameResult) {
  const auto input = JoinInputs();
  auto want = RunOperator(MakeJoin(GetParam()), nullptr, input);
  ASSERT_TRUE(want.status.ok()) << want.status.ToString();
  ASSERT_GT(want.table->num_rows(), 0);
  auto got = RunOperator(MakeJoin(GetParam()), MemoryBudget::Make(kBudget), input);
  ExpectSpilledAndCleanedUp(got);
  ExpectSameRows(got.table, want.table);
}

TEST_P(SpillJoin, UnderATinyBudgetRepartitions) {
  const auto input = JoinInputs();
  auto want = RunOperator(MakeJoin(GetParam()), nullptr, input);
  auto got = RunOperator(MakeJoin(GetParam()), MemoryBudget::Make(32 << 10), input);
  ExpectSpilledAndCleanedUp(got);
  EXPECT_GT(got.spill_files, 2 * 16);
  ExpectSameRows(got.table, want.table);
}

INSTANTIATE_TEST_SUITE_P(JoinTypes, SpillJoin,
                         ::testing::Values(JoinType::kInner, JoinType::kLeft, JoinType::kRight, JoinType::kFull,
                                           JoinType::kSemi, JoinType::kAnti, JoinType::kRightSemi,
                                           JoinType::kRightAnti));

TEST(Spill, JoinWithOneKeyBiggerThanTheBudgetStillFinishes) {
  // Every build row has key 1: hashing cannot split them, so the last partition is
  // joined past the budget rather than failing.
  auto right_schema = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("w", arrow::int64())});
  auto left_schema = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::utf8())});
  std::vector<std::pair<int, std::shared_ptr<arrow::RecordBatch>>> input;
  for (int64_t first = 0; first < 50'000; first += kBatchRows) {
    const int64_t n = std::min(kBatchRows, 50'000 - first);
    arrow::Int64Builder id, w;
    for (int64_t i = first; i < first + n; ++i) {
      EXPECT_TRUE(id.Append(1).ok());
      EXPECT_TRUE(w.Append(i).ok());
    }
    input.emplace_back(1, arrow::RecordBatch::Make(right_schema, n, {*id.Finish(), *w.Finish()}));
  }
  input.emplace_back(1, nullptr);
  input.emplace_back(0, testing::BatchFromJson(left_schema, R"([{"k": 1, "v": "a"}, {"k": 2, "v": "b"}])"));
  input.emplace_back(0, nullptr);
  for (JoinType type : {JoinType::kInner, JoinType::kFull}) {
    auto want = RunOperator(MakeJoin(type), nullptr, input);
    auto got = RunOperator(MakeJoin(type), MemoryBudget::Make(64 << 10), input);
    ExpectSpilledAndCleanedUp(got);
    EXPECT_EQ(got.table->num_rows(), type == JoinType::kInner ? 50'000 : 50'001);
    ExpectSameRows(got.table, want.table);
  }
}

TEST(Spill, JoinWithoutSpillingFailsClearly) {
  auto got = RunOperator(MakeJoin(JoinType::kInner), MemoryBudget::Make(kBudget, /*allow_spill=*/false),
                         JoinInputs());
  ExpectBudgetError(got, "hash join build");
}

// ---- Sort ----------------------------------------------------------------------------

auto MakeSortOp(std::vector<SortKey> keys) {
  return [keys](std::shared_ptr<MemoryBudget> budget) {
    return MakeSort(FactBatch(0, 1, 1)->schema(), keys, std::move(budget)).ValueOrDie();
  };
}

TEST(Spill, SortUnderABudgetGivesTheSameOrder) {
  // Many equal keys: the order among them (input order) must survive the runs.
  const auto input = OnePort(FactBatches(300'000, 1'000));
  for (const auto& keys : {std::vector<SortKey>{{"k", true, false}},
                           std::vector<SortKey>{{"s", false, true}, {"k", true, true}}}) {
    auto want = RunOperator(MakeSortOp(keys), nullptr, input);
    ASSERT_TRUE(want.status.ok()) << want.status.ToString();
    auto got = RunOperator(MakeSortOp(keys), MemoryBudget::Make(kBudget), input);
    ExpectSpilledAndCleanedUp(got);
    EXPECT_GT(got.spill_files, 3);
    ASSERT_EQ(got.table->num_rows(), 300'000);
    // Exactly equal, order included: the sort is stable.
    EXPECT_TRUE(got.table->CombineChunks().ValueOrDie()->Equals(*want.table->CombineChunks().ValueOrDie()));
  }
}

TEST(Spill, SortWithoutSpillingFailsClearly) {
  auto got = RunOperator(MakeSortOp({{"k", true, false}}), MemoryBudget::Make(kBudget, /*allow_spill=*/false),
                         OnePort(FactBatches(300'000, 1'000)));
  ExpectBudgetError(got, "sort");
}

}  // namespace
}  // namespace sabot
