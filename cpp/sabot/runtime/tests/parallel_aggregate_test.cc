// RunPlan with threads > 1 over "source -> stateless ops -> aggregate -> ops -> sink":
// the aggregate runs as per-split partial states merged in split order; results equal
// the single-threaded run (floats within rounding), errors fail the job cleanly.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/plan/stream.h"
#include "sabot/runtime/parallel_aggregation.h"
#include "sabot/runtime/physical_planner.h"
#include "sabot/runtime/run.h"
#include "sabot/runtime/tests/run_with_threads.h"

namespace sabot {
namespace {

using F = AggregateFunction;

// 16 memory-source splits of 64K rows at 1M rows. x = i (or `overrides[i]`),
// k = i % 1000, v = (i % 1013) * 0.37 (null every 101st row), s = "s" + i % 97.
std::shared_ptr<arrow::Table> Table(int64_t rows, const std::map<int64_t, int64_t>& overrides = {}) {
  arrow::Int64Builder x, k;
  arrow::DoubleBuilder v;
  arrow::StringBuilder s;
  for (int64_t i = 0; i < rows; ++i) {
    auto it = overrides.find(i);
    EXPECT_TRUE(x.Append(it == overrides.end() ? i : it->second).ok());
    EXPECT_TRUE(k.Append(i % 1000).ok());
    EXPECT_TRUE((i % 101 == 0 ? v.AppendNull() : v.Append(static_cast<double>(i % 1013) * 0.37)).ok());
    EXPECT_TRUE(s.Append("s" + std::to_string(i % 97)).ok());
  }
  auto schema = arrow::schema({arrow::field("x", arrow::int64()), arrow::field("k", arrow::int64()),
                               arrow::field("v", arrow::float64()), arrow::field("s", arrow::utf8())});
  return arrow::Table::Make(schema, {*x.Finish(), *k.Finish(), *v.Finish(), *s.Finish()});
}

std::vector<AggregateSpec> AllAggregates(const std::string& i, const std::string& d, const std::string& str) {
  return {{F::kCountAll, "", "n"},          {F::kCount, d, "count_d"},        {F::kSum, i, "sum_i"},
          {F::kSum, d, "sum_d"},            {F::kMin, d, "min_d"},            {F::kMax, str, "max_s"},
          {F::kMean, d, "mean_d"},          {F::kVariance, d, "var_d"},       {F::kCountDistinct, str, "nd_s"},
          {F::kFirst, i, "first_i"},        {F::kLast, d, "last_d"},          {F::kFirst, str, "first_s"}};
}

using testing::RunWith;

// Same rows in the same order; float64 columns within a relative 1e-9 (partial sums
// are added in another grouping than one running sum).
void ExpectClose(const arrow::Table& expected, const arrow::Table& got, int threads) {
  ASSERT_TRUE(got.schema()->Equals(*expected.schema())) << threads << " threads";
  ASSERT_EQ(got.num_rows(), expected.num_rows()) << threads << " threads";
  for (int c = 0; c < expected.num_columns(); ++c) {
    const auto& name = expected.schema()->field(c)->name();
    auto want = expected.column(c)->chunk(0);
    auto have = got.column(c)->chunk(0);
    if (want->type_id() != arrow::Type::DOUBLE) {
      EXPECT_TRUE(have->Equals(*want)) << name << ", " << threads << " threads";
      continue;
    }
    const auto& w = static_cast<const arrow::DoubleArray&>(*want);
    const auto& h = static_cast<const arrow::DoubleArray&>(*have);
    int mismatches = 0;
    for (int64_t r = 0; r < w.length(); ++r) {
      if (w.IsNull(r) || h.IsNull(r)) {
        mismatches += w.IsNull(r) != h.IsNull(r);
        continue;
      }
      mismatches += std::abs(w.Value(r) - h.Value(r)) > 1e-9 * std::max(1.0, std::abs(w.Value(r)));
    }
    EXPECT_EQ(mismatches, 0) << name << ", " << threads << " threads";
  }
}

// The aggregate whose input runs on the workers, or null.
const AggregateNode* ParallelAggregateOf(const PlanNode& plan) {
  auto shape = FindParallelShape(*plan.input());
  return shape ? shape->aggregate : nullptr;
}

void ExpectSameForAllThreadCounts(const PlanPtr& plan, int64_t expected_rows) {
  ASSERT_NE(ParallelAggregateOf(*plan), nullptr);
  auto one = RunWith(plan, 1);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_EQ((*one)->num_rows(), expected_rows);
  for (int threads : {2, 8}) {
    auto got = RunWith(plan, threads);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ExpectClose(**one, **got, threads);
  }
}

// The plan fails with an integer overflow, the same error at every thread count.
void ExpectOverflowAtEveryThreadCount(const PlanPtr& plan) {
  auto one = RunWith(plan, 1);
  ASSERT_FALSE(one.ok());
  EXPECT_NE(one.status().ToString().find("integer overflow"), std::string::npos) << one.status().ToString();
  for (int threads : {2, 8}) {
    auto got = RunWith(plan, threads);
    ASSERT_FALSE(got.ok()) << threads << " threads";
    EXPECT_EQ(got.status().ToString(), one.status().ToString()) << threads << " threads";
  }
}

TEST(ParallelAggregate, MemoryTableGroupByFilterThenSort) {
  auto plan = Stream::FromTable(Table(1'000'000), "t")
                  .Filter(col("s") != lit("s3"))
                  .WithColumn("y", col("x") * lit(int64_t{2}))
                  .Aggregate({"k"}, AllAggregates("y", "v", "s"))
                  .Filter(col("k") != lit(int64_t{17}))
                  .Sort({{"k", true}})
                  .Collect();
  ExpectSameForAllThreadCounts(plan, 999);
}

TEST(ParallelAggregate, MemoryTableTwoKeysSortedAfter) {
  auto plan = Stream::FromTable(Table(1'000'000), "t")
                  .Aggregate({"s", "k"}, AllAggregates("x", "v", "s"))
                  .Sort({{"s", true}, {"k", false}})
                  .Select({"k", "s", "n", "first_i", "last_d", "mean_d", "var_d"})
                  .Collect();
  ExpectSameForAllThreadCounts(plan, 97'000);
}

TEST(ParallelAggregate, BoundedGeneratorGroupBy) {
  GeneratorOptions gen;
  gen.rows = 2'500'000;
  gen.batch_size = 50'000;
  auto plan = Stream::Generate(gen)
                  .Filter(col("value") > lit(0.25))
                  .Aggregate({"key"}, AllAggregates("id", "value", "category"))
                  .Sort({{"key", true}})
                  .Collect();
  ExpectSameForAllThreadCounts(plan, 1'000);
}

TEST(ParallelAggregate, GlobalAggregate) {
  auto plan = Stream::FromTable(Table(1'000'000), "t")
                  .Filter(col("k") < lit(int64_t{500}))
                  .Aggregate({}, AllAggregates("x", "v", "s"))
                  .Collect();
  ExpectSameForAllThreadCounts(plan, 1);
}

TEST(ParallelAggregate, GlobalAggregateOfNothingIsOneRow) {
  auto plan = Stream::FromTable(Table(200'000), "t")
                  .Filter(col("x") < lit(int64_t{0}))
                  .Aggregate({}, {{F::kCountAll, "", "n"}, {F::kSum, "x", "sum_x"}})
                  .Collect();
  ExpectSameForAllThreadCounts(plan, 1);
  auto got = RunWith(plan, 4);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)->column(0)->chunk(0)->ToString(), "[\n  0\n]");
}

// An overflow inside one split, and one that only the merge of two splits sees.
TEST(ParallelAggregate, SumOverflowFailsAtEveryThreadCount) {
  const int64_t half = std::numeric_limits<int64_t>::max() / 2 + 1;
  const std::map<int64_t, int64_t> in_one_split = {{990'000, std::numeric_limits<int64_t>::max()}};
  const std::map<int64_t, int64_t> across_splits = {{5, half}, {700'000, half}};
  for (const auto& overrides : {in_one_split, across_splits}) {
    auto plan = Stream::FromTable(Table(1'000'000, overrides), "t")
                    .Filter(col("k") >= lit(int64_t{0}))
                    .Aggregate({}, {{F::kSum, "x", "sum_x"}})
                    .Sort({{"sum_x", true}})
                    .Collect();
    ExpectOverflowAtEveryThreadCount(plan);
  }
}

// Many groups (the merge runs on one lane per thread, see ParallelAggregation): a key of
// 100K values plus nulls, and a two-column key with a string, unique per row. Per group
// the per-split partial states merge in split order whatever the thread count, so from
// 2 threads on even float sums agree exactly.
TEST(ParallelAggregate, ManyGroupsMergeOnLanesExactly) {
  auto table = Table(400'000);
  arrow::Int64Builder g, h;  // g: 100,003 values and null; h: 20,011 values (with s: every row)
  for (int64_t i = 0; i < table->num_rows(); ++i) {
    ASSERT_TRUE((i % 13 == 0 ? g.AppendNull() : g.Append(i * 7919 % 100'003)).ok());
    ASSERT_TRUE(h.Append(i % 20'011).ok());
  }
  table = *table->AddColumn(4, arrow::field("g", arrow::int64()), std::make_shared<arrow::ChunkedArray>(*g.Finish()));
  table = *table->AddColumn(5, arrow::field("h", arrow::int64()), std::make_shared<arrow::ChunkedArray>(*h.Finish()));
  auto plan = Stream::FromTable(table, "t")
                  .Aggregate({"g"}, AllAggregates("x", "v", "s"))
                  .Sort({{"g", true}})
                  .Collect();
  auto two_keys = Stream::FromTable(table, "t")
                      .Aggregate({"s", "h"}, AllAggregates("x", "v", "s"))
                      .Sort({{"s", true}, {"h", true}})
                      .Collect();
  for (const auto& [p, groups] : {std::pair{plan, int64_t{100'004}}, std::pair{two_keys, int64_t{400'000}}}) {
    ASSERT_NE(ParallelAggregateOf(*p), nullptr);
    auto one = RunWith(p, 1);
    ASSERT_TRUE(one.ok()) << one.status().ToString();
    ASSERT_EQ((*one)->num_rows(), groups);
    auto two = RunWith(p, 2);
    ASSERT_TRUE(two.ok()) << two.status().ToString();
    ExpectClose(**one, **two, 2);  // one thread keeps one running sum, not per-split ones
    for (int threads : {3, 8}) {
      auto got = RunWith(p, threads);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_TRUE((*got)->Equals(**two)) << threads << " threads";
    }
  }
}

// `plan` on 2, 3 and 8 threads gives `one` (its answer on one thread), each run handing
// the merge lanes rows `rows_to_lanes` times (RowsToMergeLanesForTesting).
void ExpectSameOnLanes(const PlanPtr& plan, const arrow::Table& one, int64_t rows_to_lanes) {
  for (int threads : {2, 3, 8}) {
    const int64_t before = RowsToMergeLanesForTesting();
    auto got = RunWith(plan, threads);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(RowsToMergeLanesForTesting(), before + rows_to_lanes) << threads << " threads";
    EXPECT_TRUE((*got)->Equals(one)) << threads << " threads";
  }
}

// Keys so many that a split's partial state holds about a group per row: workers hand
// the merge lanes their rows split by key hash (the splits read before that was known
// still as partial states, as many as timing lets start), and the answer is exactly one
// thread's for the aggregates whose results do not depend on how rows were grouped
// before merging, with null keys (one part takes them all) and two keys (an integer and
// a string). A floating-point sum keeps partial states, which make its rounding the same
// at every thread count from 2 on.
TEST(ParallelAggregate, RowsGoToTheMergeLanesWhereSplitsBarelyReduce) {
  auto table = Table(400'000);
  arrow::Int64Builder g;  // 300,007 values and null
  for (int64_t i = 0; i < table->num_rows(); ++i) {
    ASSERT_TRUE((i % 17 == 0 ? g.AppendNull() : g.Append(i * 7919 % 300'007)).ok());
  }
  table = *table->AddColumn(4, arrow::field("g", arrow::int64()), std::make_shared<arrow::ChunkedArray>(*g.Finish()));
  const std::vector<AggregateSpec> exact = {
      {F::kCountAll, "", "n"},      {F::kCount, "v", "count_v"},       {F::kSum, "x", "sum_x"},
      {F::kMin, "v", "min_v"},      {F::kMax, "s", "max_s"},           {F::kCountDistinct, "s", "nd_s"},
      {F::kFirst, "x", "first_x"},  {F::kLast, "v", "last_v"},         {F::kFirst, "s", "first_s"}};
  auto one_key = Stream::FromTable(table, "t").Aggregate({"g"}, exact).Sort({{"g", true}}).Collect();
  auto two_keys =
      Stream::FromTable(table, "t").Aggregate({"g", "s"}, exact).Sort({{"g", true}, {"s", true}}).Collect();
  for (const auto& plan : {one_key, two_keys}) {
    ASSERT_NE(ParallelAggregateOf(*plan), nullptr);
    auto one = RunWith(plan, 1);
    ASSERT_TRUE(one.ok()) << one.status().ToString();
    ASSERT_GT((*one)->num_rows(), 200'000);
    ExpectSameOnLanes(plan, **one, /*rows_to_lanes=*/1);
  }
  auto float_sum =
      Stream::FromTable(table, "t").Aggregate({"g"}, {{F::kSum, "v", "sum_v"}}).Sort({{"g", true}}).Collect();
  const int64_t before = RowsToMergeLanesForTesting();
  auto two = RunWith(float_sum, 2);
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  EXPECT_EQ(RowsToMergeLanesForTesting(), before);
  for (int threads : {3, 8}) {
    auto got = RunWith(float_sum, threads);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE((*got)->Equals(**two)) << threads << " threads";
  }
}

// Groups that reduce their rows twenty-fold, but a count_distinct whose (group, value)
// pairs are as many as the rows: the partial states save the lanes nothing, so rows go to
// the lanes (TPC-H Q16's suppliers per part group); with a value fixed per group the
// partial states stay.
TEST(ParallelAggregate, RowsGoToTheMergeLanesWhereDistinctPairsBarelyReduce) {
  auto table = Table(400'000);
  arrow::Int64Builder g;
  for (int64_t i = 0; i < table->num_rows(); ++i) ASSERT_TRUE(g.Append(i % 20'000).ok());
  table = *table->AddColumn(4, arrow::field("g", arrow::int64()), std::make_shared<arrow::ChunkedArray>(*g.Finish()));
  for (const char* value : {"x", "k"}) {  // x: unique per row; k = g % 1000: one per group
    SCOPED_TRACE(value);
    auto plan = Stream::FromTable(table, "t")
                    .Aggregate({"g"}, {{F::kCountAll, "", "n"}, {F::kCountDistinct, value, "distinct"}})
                    .Sort({{"g", true}})
                    .Collect();
    ASSERT_NE(ParallelAggregateOf(*plan), nullptr);
    auto one = RunWith(plan, 1);
    ASSERT_TRUE(one.ok()) << one.status().ToString();
    ASSERT_EQ((*one)->num_rows(), 20'000);
    ExpectSameOnLanes(plan, **one, /*rows_to_lanes=*/value == std::string("x") ? 1 : 0);
  }
}

// Few groups per split first (merged whole on the calling thread), then many (the merge
// lanes start mid-run from what was merged so far): the same groups and, per group, the
// same merge order at every thread count from 2 on.
TEST(ParallelAggregate, MergeLanesStartMidRunFromTheTotalSoFar) {
  auto table = Table(600'000);
  arrow::Int64Builder g;  // 10 values in the first third, then unique per row
  for (int64_t i = 0; i < table->num_rows(); ++i) ASSERT_TRUE(g.Append(i < 200'000 ? i % 10 : i).ok());
  table = *table->AddColumn(4, arrow::field("g", arrow::int64()), std::make_shared<arrow::ChunkedArray>(*g.Finish()));
  auto plan = Stream::FromTable(table, "t").Aggregate({"g"}, AllAggregates("x", "v", "s")).Sort({{"g", true}}).Collect();
  ASSERT_NE(ParallelAggregateOf(*plan), nullptr);
  auto one = RunWith(plan, 1);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_EQ((*one)->num_rows(), 10 + 400'000);
  auto two = RunWith(plan, 2);
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  ExpectClose(**one, **two, 2);
  for (int threads : {3, 8}) {
    auto got = RunWith(plan, threads);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE((*got)->Equals(**two)) << threads << " threads";
  }
}

// Few groups per split but many in all (a key sorted with the source, as TPC-H Q16's
// partsupp by part): with states costly to merge (twelve aggregates, count_distinct's
// pairs) the lanes start once the total reaches their threshold, not only when one split
// alone does; a cheap state (one count) of as many groups, and few groups in all (k: 1000),
// stay on the calling thread.
TEST(ParallelAggregate, MergeLanesStartFromTheTotalOfSmallSplits) {
  auto table = Table(600'000);
  arrow::Int64Builder g;  // 1000 values per 64K-row split, 9375 in all
  for (int64_t i = 0; i < table->num_rows(); ++i) ASSERT_TRUE(g.Append(i / 64).ok());
  table = *table->AddColumn(4, arrow::field("g", arrow::int64()), std::make_shared<arrow::ChunkedArray>(*g.Finish()));
  auto plan = Stream::FromTable(table, "t").Aggregate({"g"}, AllAggregates("x", "v", "s")).Sort({{"g", true}}).Collect();
  auto one = RunWith(plan, 1);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_EQ((*one)->num_rows(), 9375);
  const int64_t before = MergeLaneStartsForTesting();
  auto eight = RunWith(plan, 8);
  ASSERT_TRUE(eight.ok()) << eight.status().ToString();
  EXPECT_EQ(MergeLaneStartsForTesting(), before + 1);
  ExpectClose(**one, **eight, 8);

  auto few = Stream::FromTable(table, "t").Aggregate({"k"}, AllAggregates("x", "v", "s")).Collect();
  ASSERT_TRUE(RunWith(few, 8).ok());
  EXPECT_EQ(MergeLaneStartsForTesting(), before + 1);
  auto cheap = Stream::FromTable(table, "t").Aggregate({"g"}, {{F::kCountAll, "", "n"}}).Sort({{"g", true}}).Collect();
  auto cheap_one = RunWith(cheap, 1);
  auto cheap_eight = RunWith(cheap, 8);
  ASSERT_TRUE(cheap_one.ok() && cheap_eight.ok());
  EXPECT_TRUE((*cheap_eight)->Equals(**cheap_one));
  EXPECT_EQ(MergeLaneStartsForTesting(), before + 1);
}

// An overflow that only the merge of one group's partial states sees fails the job with
// the same error at every thread count (on a merge lane when there are several).
TEST(ParallelAggregate, GroupSumOverflowInTheMergeFails) {
  const int64_t half = std::numeric_limits<int64_t>::max() / 2 + 1;
  auto plan = Stream::FromTable(Table(1'000'000, {{5, half}, {700'005, half}}), "t")
                  .Aggregate({"k"}, {{F::kSum, "x", "sum_x"}})
                  .Collect();
  ExpectOverflowAtEveryThreadCount(plan);
}

TEST(ParallelAggregate, PlanShapes) {
  auto t = Stream::FromTable(Table(10), "t");
  const std::vector<AggregateSpec> n = {{F::kCountAll, "", "n"}};
  EXPECT_NE(ParallelAggregateOf(*t.Aggregate({"k"}, n).Collect()), nullptr);
  EXPECT_NE(ParallelAggregateOf(*t.Aggregate({"k"}, n).Aggregate({}, n).Limit(1).Collect()), nullptr);
  // A limit (stateful) below the aggregate stays single-threaded.
  EXPECT_EQ(ParallelAggregateOf(*t.Limit(5).Aggregate({"k"}, n).Collect()), nullptr);
  EXPECT_EQ(ParallelAggregateOf(*t.Filter(col("x") > lit(int64_t{1})).Collect()), nullptr);
}

TEST(ParallelAggregate, LimitAboveTheAggregate) {
  auto plan = Stream::FromTable(Table(300'000), "t")
                  .Aggregate({"k"}, {{F::kCountAll, "", "n"}, {F::kFirst, "x", "first_x"}})
                  .Sort({{"k", true}})
                  .Limit(3)
                  .Collect();
  ExpectSameForAllThreadCounts(plan, 3);
}

// A rough scaling figure, not a check: run with --gtest_also_run_disabled_tests.
TEST(ParallelAggregate, DISABLED_TenMillionGeneratorRowsGroupBy) {
  GeneratorOptions gen;
  gen.rows = 10'000'000;
  auto plan = Stream::Generate(gen)
                  .Filter(col("value") > lit(0.25))
                  .Aggregate({"key"}, {{F::kCountAll, "", "n"},
                                       {F::kSum, "value", "sum_v"},
                                       {F::kMean, "value", "mean_v"},
                                       {F::kMax, "id", "max_id"}})
                  .Sort({{"key", true}})
                  .Collect();
  double base = 0;
  for (int threads : {1, 2, 1, 2}) {
    RunOptions options;
    options.threads = threads;
    auto got = RunPlan(*plan, options);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const double s = std::chrono::duration<double>(got->stats.wall).count();
    if (threads == 1) base = s;
    std::printf("threads=%d groups=%lld wall=%.3fs speedup=%.2fx\n", threads,
                static_cast<long long>(got->rows_written), s, base / s);
  }
}

}  // namespace
}  // namespace sabot
