// A filter lowered under a projection passes on only the columns the projection reads
// (FilterOperator::KeepOnly), with the same answers on 1, 2 and 8 threads.
#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <gtest/gtest.h>

#include "sabot/ops/filter.h"
#include "sabot/plan/stream.h"
#include "sabot/runtime/physical_planner.h"
#include "sabot/runtime/run.h"

namespace sabot {
namespace {

std::shared_ptr<arrow::Table> Rows(int64_t n) {
  arrow::Int64Builder a, b;
  arrow::StringBuilder c;
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_TRUE(a.Append(i).ok());
    EXPECT_TRUE(b.Append((i * 7) % 10).ok());
    EXPECT_TRUE(c.Append("row " + std::to_string(i)).ok());
  }
  auto schema = arrow::schema({arrow::field("a", arrow::int64()), arrow::field("b", arrow::int64()),
                               arrow::field("c", arrow::utf8())});
  return arrow::Table::Make(schema, {*a.Finish(), *b.Finish(), *c.Finish()});
}

TEST(FilterKeepColumns, FilterUnderAProjectionKeepsWhatItReads) {
  auto table = Rows(50000);
  // Keeps the rows with b > 6 and reads a and c (c renamed); b is only tested.
  auto plan = Stream::FromTable(table)
                  .Filter(col("b") > lit(int64_t{6}))
                  .Project({{"a", col("a")}, {"label", col("c")}})
                  .Collect();
  SinkOutput output;
  auto lowered = LowerPlan(*plan, &output);
  ASSERT_TRUE(lowered.ok()) << lowered.status().ToString();
  int filters = 0;
  for (const auto& op : lowered->physical.operators) {
    if (auto* filter = dynamic_cast<FilterOperator*>(op.get())) {
      ++filters;
      EXPECT_EQ(filter->output_schema()->num_fields(), 2) << filter->output_schema()->ToString();
      EXPECT_EQ(filter->output_schema()->GetFieldIndex("b"), -1);
    }
  }
  EXPECT_EQ(filters, 1);

  // The rows Arrow's own filter keeps, as the projection names them.
  auto mask = arrow::compute::CallFunction("greater", {table->GetColumnByName("b"), arrow::Datum(int64_t{6})});
  ASSERT_TRUE(mask.ok());
  auto kept = arrow::compute::Filter(table, *mask);
  ASSERT_TRUE(kept.ok());
  auto want_table = kept->table();
  for (int threads : {1, 2, 8}) {
    RunOptions options;
    options.threads = threads;
    auto got = RunPlan(*plan, options);
    ASSERT_TRUE(got.ok()) << threads << " threads: " << got.status().ToString();
    auto got_table = arrow::Table::FromRecordBatches(got->schema, got->collected);
    ASSERT_TRUE(got_table.ok());
    ASSERT_EQ((*got_table)->num_columns(), 2);
    EXPECT_EQ((*got_table)->schema()->field(1)->name(), "label");
    auto got_c = (*(*got_table)->CombineChunks())->column(1)->chunk(0);
    auto want_c = (*want_table->CombineChunks())->GetColumnByName("c")->chunk(0);
    auto got_a_array = (*(*got_table)->CombineChunks())->column(0)->chunk(0);
    auto want_a = (*want_table->CombineChunks())->GetColumnByName("a")->chunk(0);
    // Source order is kept (the default), so the rows line up one to one.
    EXPECT_TRUE(got_a_array->Equals(*want_a)) << threads << " threads";
    EXPECT_TRUE(got_c->Equals(*want_c)) << threads << " threads";
  }
}

}  // namespace
}  // namespace sabot
