// A sort or top-k over a parallel chain: the chain (filters, join probes) runs on the
// workers, the sort and what is above it on the calling thread. Results must equal the
// single-threaded run exactly.
#include <cstdint>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/plan/stream.h"
#include "sabot/runtime/physical_planner.h"
#include "sabot/runtime/run.h"
#include "sabot/runtime/tests/run_with_threads.h"

namespace sabot {
namespace {

// ~600K rows in several splits; k = i % 1000 (the join key), v = (i * 7919) % 100003.
std::shared_ptr<arrow::Table> Facts() {
  arrow::Int64Builder k, v;
  for (int64_t i = 0; i < 600'000; ++i) {
    EXPECT_TRUE(k.Append(i % 1000).ok());
    EXPECT_TRUE(v.Append((i * 7919) % 100003).ok());
  }
  auto schema = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::int64())});
  return arrow::Table::Make(schema, {*k.Finish(), *v.Finish()});
}

Stream Names() {
  arrow::Int64Builder id;
  arrow::StringBuilder name;
  for (int64_t i = 0; i < 1000; i += 3) {
    EXPECT_TRUE(id.Append(i).ok());
    EXPECT_TRUE(name.Append("n" + std::to_string(i % 11)).ok());
  }
  auto schema = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("name", arrow::utf8())});
  return Stream::FromTable(arrow::Table::Make(schema, {*id.Finish(), *name.Finish()}), "names");
}

Stream Chain() {
  return Stream::FromTable(Facts(), "facts")
      .Filter(col("v") > lit(int64_t{50}))
      .Join(Names(), {"k"}, {"id"})
      .Select({"name", "v", "k"});
}

using testing::RunWith;

void ExpectParallelSortMatchesOneThread(const PlanPtr& plan, int64_t rows) {
  auto shape = FindParallelShape(*plan->input());
  ASSERT_TRUE(shape.has_value());
  EXPECT_NE(shape->sort, nullptr);
  EXPECT_EQ(shape->aggregate, nullptr);
  EXPECT_EQ(shape->joins.size(), 1u);
  auto one = RunWith(plan, 1);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ((*one)->num_rows(), rows);
  for (int threads : {2, 8}) {
    auto got = RunWith(plan, threads);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE((*got)->Equals(**one)) << threads << " threads";
  }
}

TEST(ParallelSort, SortOverAJoinChain) {
  // Ties on (name, v) keep their input order (a stable sort), so the order is exact.
  auto plan = Chain().Sort({{"name", true, false}, {"v", false, false}}).Limit(5000).Collect();
  ExpectParallelSortMatchesOneThread(plan, 5000);
}

TEST(ParallelSort, TopKWithProjectionAbove) {
  auto plan = Chain().TopK({{"v", false, false}, {"k", true, false}}, 100).Select({"k", "v"}).Collect();
  ExpectParallelSortMatchesOneThread(plan, 100);
}

TEST(ParallelSort, AnErrorInTheChainFailsAsOnOneThread) {
  auto plan = Stream::FromTable(Facts(), "facts")
                  .WithColumn("big", col("v") * lit(int64_t{1} << 62))  // overflows where v > 1
                  .Sort({{"v", true, false}})
                  .Collect();
  auto one = RunWith(plan, 1);
  ASSERT_FALSE(one.ok());
  auto four = RunWith(plan, 4);
  ASSERT_FALSE(four.ok());
  EXPECT_EQ(four.status().ToString(), one.status().ToString());
}

}  // namespace
}  // namespace sabot
