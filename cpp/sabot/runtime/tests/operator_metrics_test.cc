// Per-step metrics of RunPlan: rows and batches in and out of every step, the same
// totals whatever the thread count (the copies of a step add into one slot), and the
// table the CLI prints.
#include <cstdint>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/plan/stream.h"
#include "sabot/runtime/run.h"

namespace sabot {
namespace {

std::shared_ptr<arrow::Table> Numbers(int64_t rows) {
  arrow::Int64Builder x;
  for (int64_t i = 0; i < rows; ++i) EXPECT_TRUE(x.Append(i).ok());
  return arrow::Table::Make(arrow::schema({arrow::field("x", arrow::int64())}), {*x.Finish()});
}

// Rows in and out per step label prefix.
const OperatorStats& Step(const std::vector<OperatorStats>& steps, const std::string& prefix) {
  for (const auto& s : steps) {
    if (s.label.rfind(prefix, 0) == 0) return s;
  }
  ADD_FAILURE() << "no step " << prefix;
  return steps.front();
}

TEST(OperatorMetrics, RowsPerStepAreTheSameOnAnyThreadCount) {
  const int64_t rows = 500'000;  // 8 memory splits
  auto dim = Stream::FromTable(Numbers(1000), "dim").Rename({{"x", "id"}});
  auto plan = Stream::FromTable(Numbers(rows), "t")
                  .Filter(col("x") < lit(int64_t{300'000}))
                  .Join(dim, {"x"}, {"id"}, JoinType::kSemi)
                  .Aggregate({}, {{AggregateFunction::kCountAll, "", "n"}})
                  .Collect();
  for (int threads : {1, 2, 8}) {
    SCOPED_TRACE(threads);
    RunOptions options;
    options.threads = threads;
    auto result = RunPlan(*plan, options);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    const auto& steps = result->operators;
    ASSERT_EQ(steps.size(), 7u);  // sink, aggregate, join, filter, source, rename, source
    EXPECT_EQ(steps.front().depth, 0);
    const auto& filter = Step(steps, "Filter");
    EXPECT_EQ(filter.rows_in, rows);
    EXPECT_EQ(filter.rows_out, 300'000);
    const auto& join = Step(steps, "Join");
    EXPECT_EQ(join.rows_out, 1000);
    const auto& aggregate = Step(steps, "Aggregate");
    EXPECT_EQ(aggregate.rows_out, 1);
    EXPECT_EQ(Step(steps, "Sink").rows_in, 1);
    for (const auto& s : steps) EXPECT_GE(s.busy.count(), 0) << s.label;
    EXPECT_EQ(result->stats.threads, threads);

    const std::string table = FormatOperatorStats(steps);
    EXPECT_NE(table.find("own ms"), std::string::npos) << table;
    EXPECT_NE(table.find("    Join"), std::string::npos) << table;  // indented by depth
  }
}

TEST(OperatorMetrics, StreamingWindowsReportTheirPeakState) {
  GeneratorOptions gen;
  gen.rows = 200'000;
  gen.batch_size = 10'000;
  gen.time_step_us = 1'000;  // 1 ms apart: a 1 s window holds ~1000 rows per key group
  WindowSpec window;
  window.kind = WindowSpec::Kind::kTumbling;
  window.time_column = "ts";
  window.size_us = 1'000'000;
  window.slide_us = window.size_us;
  auto plan = Stream::Generate(gen)
                  .WindowAggregate(window, {"key"}, {{AggregateFunction::kCountAll, "", "n"}})
                  .Collect();
  auto result = RunPlan(*plan);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const auto& windows = Step(result->operators, "WindowAggregate");
  // Windows close as the watermark passes them, so the state stays far below the input.
  EXPECT_GT(windows.peak_state_rows, 0);
  EXPECT_LT(windows.peak_state_rows, 50'000);
  EXPECT_EQ(Step(result->operators, "Sink").peak_state_rows, 0);
  const std::string table = FormatOperatorStats(result->operators);
  EXPECT_NE(table.find("peak state"), std::string::npos) << table;
}

TEST(OperatorMetrics, StatelessPlansHaveNoPeakStateColumn) {
  auto plan = Stream::FromTable(Numbers(1000), "t").Filter(col("x") < lit(int64_t{10})).Collect();
  auto result = RunPlan(*plan);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(FormatOperatorStats(result->operators).find("peak state"), std::string::npos);
}

}  // namespace
}  // namespace sabot
