// An aggregate over an endless input lowers to a changelog: results leave as they change.
#include <gtest/gtest.h>

#include <arrow/api.h>

#include "sabot/plan/stream.h"
#include "sabot/runtime/run.h"

namespace sabot {
namespace {

TEST(UnboundedAggregate, EmitsAChangelogThatALimitCanEnd) {
  GeneratorOptions g;
  g.rows = -1;
  g.batch_size = 100;
  g.num_keys = 3;
  auto plan = Stream::Generate(g).Aggregate({"key"}, {{AggregateFunction::kCountAll, "", "n"}}).Limit(10).Collect();
  // One thread: on several, the keyed exchange splits each batch over key owners, and
  // the changelog's layout below is one operator's (KeyedExchange tests cover that).
  RunOptions options;
  options.threads = 1;
  auto result = RunPlan(*plan, options);
  ASSERT_TRUE(result.ok()) << result.status();
  auto table = result->ToTable();
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ((*table)->num_rows(), 10);
  EXPECT_EQ((*table)->schema()->field(0)->name(), "op");
  // Three keys: three inserts first; then each batch the old rows, then the new ones.
  auto combined = (*table)->CombineChunksToBatch().ValueOrDie();
  auto ops = std::static_pointer_cast<arrow::StringArray>(combined->column(0));
  EXPECT_EQ(ops->GetString(0), "insert");
  EXPECT_EQ(ops->GetString(3), "update_before");
  EXPECT_EQ(ops->GetString(5), "update_before");
  EXPECT_EQ(ops->GetString(6), "update_after");
}

}  // namespace
}  // namespace sabot
