// A join whose right input never ends lowers to a changelog join: matches leave as rows
// arrive, where a hash join would wait for the right side's end forever.
#include <gtest/gtest.h>

#include <arrow/api.h>

#include "sabot/plan/stream.h"
#include "sabot/runtime/run.h"

namespace sabot {
namespace {

TEST(UnboundedJoin, EmitsAChangelogThatALimitCanEnd) {
  GeneratorOptions g;
  g.rows = 1000;
  g.batch_size = 100;
  g.num_keys = 3;
  GeneratorOptions endless = g;
  endless.rows = -1;
  JoinSpec spec;
  spec.left_keys = spec.right_keys = {"key"};
  auto join = Stream::Generate(g).Join(Stream::Generate(endless), spec);
  EXPECT_NE(join.node()->Describe().find("as changelog"), std::string::npos);
  RunOptions options;
  options.threads = 1;
  auto result = RunPlan(*join.Limit(50).Collect(), options);
  ASSERT_TRUE(result.ok()) << result.status();
  auto table = result->ToTable();
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ((*table)->num_rows(), 50);
  EXPECT_EQ((*table)->schema()->field(0)->name(), "op");
  // Both inputs bounded: a plain hash join, no op column.
  auto bounded = Stream::Generate(g).Join(Stream::Generate(g), spec);
  EXPECT_EQ(bounded.node()->Describe().find("as changelog"), std::string::npos);
}

}  // namespace
}  // namespace sabot
