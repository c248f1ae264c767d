// RunPlan with threads > 1: stateless plans run on the morsel executor with the same
// rows in the same order as one thread; a failing row fails the job cleanly; other
// plans fall back to the single-threaded executor.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/plan/stream.h"
#include "sabot/runtime/physical_planner.h"
#include "sabot/runtime/run.h"

namespace sabot {
namespace {

// ~1M rows: 16 memory-source splits of 64K rows. x = i, except row `big_row` holds
// INT64_MAX (when >= 0).
std::shared_ptr<arrow::Table> Table(int64_t rows, int64_t big_row = -1) {
  arrow::Int64Builder x;
  arrow::StringBuilder s;
  for (int64_t i = 0; i < rows; ++i) {
    EXPECT_TRUE(x.Append(i == big_row ? std::numeric_limits<int64_t>::max() : i).ok());
    EXPECT_TRUE(s.Append("s" + std::to_string(i % 97)).ok());
  }
  auto schema = arrow::schema({arrow::field("x", arrow::int64()), arrow::field("s", arrow::utf8())});
  return arrow::Table::Make(schema, {*x.Finish(), *s.Finish()});
}

std::shared_ptr<arrow::Table> RunWith(const PlanPtr& plan, int threads) {
  RunOptions options;
  options.threads = threads;
  auto result = RunPlan(*plan, options);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  if (!result.ok()) return nullptr;
  auto table = *result->ToTable();
  return *table->CombineChunks();
}

void ExpectSameForAllThreadCounts(const PlanPtr& plan, int64_t min_rows) {
  auto one = RunWith(plan, 1);
  ASSERT_NE(one, nullptr);
  ASSERT_GE(one->num_rows(), min_rows);
  for (int threads : {2, 8}) {
    auto got = RunWith(plan, threads);
    ASSERT_NE(got, nullptr);
    EXPECT_TRUE(got->Equals(*one)) << threads << " threads";
  }
}

TEST(ParallelRun, MemoryTableFilterProjectIsIdenticalForAnyThreadCount) {
  auto plan = Stream::FromTable(Table(1'000'000), "t")
                  .Filter(col("x") > lit(int64_t{1000}) && col("s") != lit("s5"))
                  .WithColumn("y", col("x") * lit(int64_t{2}) + lit(int64_t{1}))
                  .Rename({{"s", "label"}})
                  .Select({"y", "label", "x"})
                  .Collect();
  auto shape = FindParallelShape(*plan->input());
  ASSERT_TRUE(shape.has_value() && shape->aggregate == nullptr);
  ExpectSameForAllThreadCounts(plan, 900'000);
}

TEST(ParallelRun, BoundedGeneratorFilterProjectIsIdenticalForAnyThreadCount) {
  GeneratorOptions gen;
  gen.rows = 2'500'000;
  gen.batch_size = 50'000;
  auto plan = Stream::Generate(gen)
                  .Filter(col("value") > lit(0.25))
                  .WithColumn("k2", col("key") * lit(int64_t{10}))
                  .Select({"id", "k2", "category", "ts"})
                  .Collect();
  ExpectSameForAllThreadCounts(plan, 1'000'000);
}

TEST(ParallelRun, AnOverflowOnALateRowFailsTheJob) {
  auto plan = Stream::FromTable(Table(1'000'000, /*big_row=*/990'000), "t")
                  .WithColumn("y", col("x") + lit(int64_t{1}))
                  .Collect();
  RunOptions options;
  auto one = RunPlan(*plan, options);
  ASSERT_FALSE(one.ok());
  for (int threads : {2, 8}) {
    options.threads = threads;
    auto got = RunPlan(*plan, options);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().ToString(), one.status().ToString());
  }
}

TEST(ParallelRun, CountSinkAndNoOperators) {
  auto plan = Stream::FromTable(Table(300'000), "t").Count();
  RunOptions options;
  options.threads = 4;
  auto got = RunPlan(*plan, options);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->rows_written, 300'000);
  EXPECT_EQ(got->stats.splits, 5);
}

TEST(ParallelRun, OtherPlansFallBackToOneThread) {
  auto plan = Stream::FromTable(Table(200'000), "t").Filter(col("x") > lit(int64_t{10})).Limit(5).Collect();
  EXPECT_FALSE(FindParallelShape(*plan->input()).has_value());
  auto one = RunWith(plan, 1);
  auto four = RunWith(plan, 4);
  ASSERT_NE(four, nullptr);
  EXPECT_TRUE(four->Equals(*one));

  RunOptions options;
  options.threads = -1;
  EXPECT_TRUE(RunPlan(*plan, options).status().IsInvalid());
  options.threads = 0;  // one per core
  auto per_core = RunPlan(*plan, options);
  ASSERT_TRUE(per_core.ok()) << per_core.status().ToString();
  EXPECT_TRUE((*per_core->ToTable())->Equals(*one));
}

// A rough scaling figure, not a check: run with --gtest_also_run_disabled_tests.
TEST(ParallelRun, DISABLED_TenMillionGeneratorRowsScaling) {
  GeneratorOptions gen;
  gen.rows = 10'000'000;
  auto plan = Stream::Generate(gen)
                  .Filter(col("value") > lit(0.25))
                  .WithColumn("k2", col("key") * lit(int64_t{10}) + col("id"))
                  .Select({"id", "k2", "category"})
                  .Count();
  double base = 0;
  for (int threads : {1, 2, 1, 2}) {
    RunOptions options;
    options.threads = threads;
    auto got = RunPlan(*plan, options);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const double s = std::chrono::duration<double>(got->stats.wall).count();
    if (threads == 1) base = s;
    std::printf("threads=%d rows=%lld wall=%.3fs speedup=%.2fx\n", threads,
                static_cast<long long>(got->rows_written), s, base / s);
  }
}

}  // namespace
}  // namespace sabot
