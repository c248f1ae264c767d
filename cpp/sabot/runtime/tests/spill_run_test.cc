// A whole job under a memory budget (RunOptions): a join feeding an aggregation, then a
// sort, gives the same rows as without a budget while spilling; with spilling disabled
// it fails with the budget error and leaves no spill folder.
#include <unistd.h>

#include <filesystem>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/plan/stream.h"
#include "sabot/runtime/run.h"

namespace sabot {
namespace {

std::shared_ptr<arrow::Table> Facts(int64_t rows) {
  arrow::Int64Builder k, v;
  for (int64_t i = 0; i < rows; ++i) {
    EXPECT_TRUE(k.Append((i * 7919) % 60'000).ok());
    EXPECT_TRUE(v.Append(i).ok());
  }
  auto schema = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::int64())});
  return arrow::Table::Make(schema, {*k.Finish(), *v.Finish()});
}

std::shared_ptr<arrow::Table> Dimension(int64_t rows) {
  arrow::Int64Builder id;
  arrow::StringBuilder name;
  for (int64_t i = 0; i < rows; ++i) {
    EXPECT_TRUE(id.Append(i).ok());
    EXPECT_TRUE(name.Append("name-" + std::to_string(i % 5'000)).ok());
  }
  auto schema = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("name", arrow::utf8())});
  return arrow::Table::Make(schema, {*id.Finish(), *name.Finish()});
}

PlanPtr Job() {
  return Stream::FromTable(Facts(200'000), "facts")
      .Join(Stream::FromTable(Dimension(100'000), "dim"), {"k"}, {"id"})
      .Aggregate({"name"}, {{AggregateFunction::kSum, "v", "total"}, {AggregateFunction::kCountAll, "", "n"}})
      .Sort({{"name", true, false}})
      .Collect();
}

TEST(SpillRun, JoinAndAggregationUnderABudgetGiveTheSameResult) {
  auto plan = Job();
  auto want = RunPlan(*plan);
  ASSERT_TRUE(want.ok()) << want.status().ToString();
  EXPECT_EQ(want->spill_files, 0);
  EXPECT_GT(want->peak_memory, int64_t{1} << 20);  // the state is bigger than the budget below

  RunOptions options;
  options.memory_limit_bytes = 1 << 20;
  auto got = RunPlan(*plan, options);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_GT(got->spill_files, 0);
  EXPECT_GT(got->spilled_bytes, 0);
  auto a = *got->ToTable(), b = *want->ToTable();
  ASSERT_EQ(a->num_rows(), 5'000);
  EXPECT_TRUE((*a->CombineChunks())->Equals(**b->CombineChunks()));
}

TEST(SpillRun, WithoutSpillingTheJobFailsWithTheBudgetError) {
  const auto parent = std::filesystem::temp_directory_path() / ("sabot-spill-run-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(parent);
  RunOptions options;
  options.memory_limit_bytes = 1 << 20;
  options.allow_spill = false;
  options.spill_directory = parent.string();
  auto got = RunPlan(*Job(), options);
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(got.status().IsOutOfMemory()) << got.status().ToString();
  EXPECT_NE(got.status().message().find("needs more memory than the job's budget of 1.0 MiB"), std::string::npos)
      << got.status().message();
  EXPECT_TRUE(std::filesystem::is_empty(parent));
  std::filesystem::remove(parent);

  options.memory_limit_bytes = -1;
  EXPECT_TRUE(RunPlan(*Job(), options).status().IsInvalid());
}

}  // namespace
}  // namespace sabot
