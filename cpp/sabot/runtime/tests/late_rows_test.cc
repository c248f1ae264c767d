// Late rows through the runtime: the side output of a window holds exactly the rows its
// late-rows metric counts, and --stats shows the count.
#include <gtest/gtest.h>

#include <arrow/api.h>

#include "sabot/exec/operator_metrics.h"
#include "sabot/plan/stream.h"
#include "sabot/runtime/run.h"

namespace sabot {
namespace {

// Two batches: the second carries rows a second older than the first batch's watermark.
std::shared_ptr<arrow::Table> TwoBatches() {
  auto batch = [](std::vector<int64_t> ts) {
    arrow::TimestampBuilder times(arrow::timestamp(arrow::TimeUnit::MICRO), arrow::default_memory_pool());
    EXPECT_TRUE(times.AppendValues(ts).ok());
    auto array = times.Finish().ValueOrDie();
    return arrow::RecordBatch::Make(arrow::schema({arrow::field("ts", array->type())}), array->length(), {array});
  };
  return arrow::Table::FromRecordBatches({batch({10'000'000, 11'000'000, 12'500'000}),
                                          batch({9'000'000, 12'700'000, 8'000'000, 1'000'000})})
      .ValueOrDie();
}

TEST(LateRows, SideOutputHoldsWhatTheMetricCounts) {
  SourceSpec spec;
  spec.kind = SourceSpec::Kind::kMemory;
  spec.table = TwoBatches();
  spec.event_time_column = "ts";
  WindowSpec window;
  window.time_column = "ts";
  window.size_us = 1'000'000;
  window.allowed_lateness_us = 500'000;
  auto windowed = Stream::Read(spec).WindowAggregate(window, {}, {{AggregateFunction::kCountAll, "", "n"}});
  auto late = windowed.LateRows();
  ASSERT_TRUE(late.ok()) << late.status();
  auto result = RunPlan(*late->Collect());
  ASSERT_TRUE(result.ok()) << result.status();
  // Watermark 12.5 s after the first batch: windows ending at or before 12 s are past
  // their lateness, so 9 s, 8 s and 1 s are late; 12.7 s is on time.
  auto table = result->ToTable();
  ASSERT_TRUE(table.ok()) << table.status();
  const int64_t rows = (*table)->num_rows();
  int64_t counted = 0;
  for (const auto& step : result->operators) {
    if (step.label.rfind("WindowAggregate", 0) == 0) counted = step.late_rows;
  }
  EXPECT_EQ(rows, 3);
  EXPECT_EQ(counted, rows);
  EXPECT_NE(FormatOperatorStats(result->operators).find("late rows"), std::string::npos);
}

TEST(LateRows, OnlyFromAWindow) {
  auto late = Stream::Generate({}).LateRows();
  ASSERT_FALSE(late.ok());
  EXPECT_NE(late.status().message().find("window aggregate"), std::string::npos);
}

}  // namespace
}  // namespace sabot
