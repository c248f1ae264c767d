// Joins in parallel plans: the build side runs first (itself in parallel), then every
// worker probes the shared table. Results must equal the single-threaded run exactly,
// in the same order, for every join type, below an aggregate too.
#include <cstdint>
#include <limits>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/plan/stream.h"
#include "sabot/runtime/physical_planner.h"
#include "sabot/runtime/run.h"
#include "sabot/runtime/tests/run_with_threads.h"

namespace sabot {
namespace {

using F = AggregateFunction;

// Facts: ~1M rows in 64K-row splits; k = i % 5000 (the join key), v = i.
std::shared_ptr<arrow::Table> Facts(int64_t rows) {
  arrow::Int64Builder k, v;
  for (int64_t i = 0; i < rows; ++i) {
    EXPECT_TRUE(k.Append(i % 5000).ok());
    EXPECT_TRUE(v.Append(i).ok());
  }
  auto schema = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::int64())});
  return arrow::Table::Make(schema, {*k.Finish(), *v.Finish()});
}

// Dimension rows: id = i for even i only (so half the facts find no match), with a
// duplicate of every id divisible by 100 (so some facts match twice), and a name.
// 100K rows, so the build side spans several splits as well.
std::shared_ptr<arrow::Table> Dimension(int64_t big_row = -1) {
  arrow::Int64Builder id, w;
  arrow::StringBuilder name;
  int64_t row = 0;
  for (int64_t rep = 0; rep < 20; ++rep) {
    for (int64_t i = 0; i < 10000; i += 2, ++row) {
      const bool duplicate = rep > 0 && i % 100 != 0;
      // Repetitions beyond the first carry ids past the facts' keys, except the duplicates.
      EXPECT_TRUE(id.Append(duplicate ? 100000 + row : i).ok());
      EXPECT_TRUE(w.Append(row == big_row ? std::numeric_limits<int64_t>::max() : row).ok());
      EXPECT_TRUE(name.Append("n" + std::to_string(i % 7)).ok());
    }
  }
  auto schema = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("w", arrow::int64()),
                               arrow::field("name", arrow::utf8())});
  return arrow::Table::Make(schema, {*id.Finish(), *w.Finish(), *name.Finish()});
}

using testing::RunWith;
using testing::ExpectSameAsOneThread;

Expr BitAnd(Expr e, int64_t mask) { return Expr::Call("bit_wise_and", {std::move(e), lit(mask)}); }

Stream FactStream() { return Stream::FromTable(Facts(1'000'000), "facts").Filter(BitAnd(col("v"), 3) != lit(int64_t{0})); }
Stream DimStream(int64_t big_row = -1) {
  return Stream::FromTable(Dimension(big_row), "dim").WithColumn("w2", col("w") + lit(int64_t{1}));
}

TEST(ParallelJoin, EveryProbeOnlyJoinTypeMatchesOneThread) {
  for (JoinType type : {JoinType::kInner, JoinType::kLeft, JoinType::kSemi, JoinType::kAnti}) {
    SCOPED_TRACE(std::string(ToString(type)));
    auto plan = FactStream().Join(DimStream(), {"k"}, {"id"}, type).Collect();
    auto shape = FindParallelShape(*plan->input());
    ASSERT_TRUE(shape.has_value());
    EXPECT_EQ(shape->joins.size(), 1u);
    ExpectSameAsOneThread(plan, 100'000);
  }
}

// A build side past JoinHashTable::kParallelBuildRows: its table is inserted on every
// thread (one owner per region of slots); inner, semi and anti see the same rows.
TEST(ParallelJoin, LargeBuildSideInsertedOnEveryThread) {
  // Probe keys v = 0..199,999; build keys id = 0..4,999, each 60 times.
  auto probe = Stream::FromTable(Facts(200'000), "probe");
  auto build = Stream::FromTable(Facts(300'000), "build").Rename({{"k", "id"}, {"v", "w"}});
  for (JoinType type : {JoinType::kInner, JoinType::kSemi, JoinType::kAnti}) {
    SCOPED_TRACE(std::string(ToString(type)));
    ExpectSameAsOneThread(probe.Join(build, {"v"}, {"id"}, type).Collect(), 5000);
  }
}

TEST(ParallelJoin, ResidualAndTwoJoinsInOneChain) {
  JoinSpec spec;
  spec.type = JoinType::kInner;
  spec.left_keys = {"k"};
  spec.right_keys = {"id"};
  spec.residual = BitAnd(col("w"), 1) == lit(int64_t{1});
  auto names = Stream::FromTable(Dimension(), "names").Select({"name"}).Distinct().WithColumn("label", col("name"));
  auto plan = FactStream()
                  .Join(DimStream(), spec)
                  .Filter(col("v") > lit(int64_t{10}))
                  .Join(names, {"name"}, {"name"}, JoinType::kLeft)
                  .Select({"v", "w2", "label"})
                  .Collect();
  auto shape = FindParallelShape(*plan->input());
  ASSERT_TRUE(shape.has_value());
  EXPECT_EQ(shape->joins.size(), 2u);
  ExpectSameAsOneThread(plan, 10'000);
}

TEST(ParallelJoin, JoinBelowAnAggregate) {
  auto plan = FactStream()
                  .Join(DimStream(), {"k"}, {"id"})
                  .Aggregate({"name"}, {{F::kCountAll, "", "n"}, {F::kSum, "v", "sum_v"}, {F::kFirst, "w", "first_w"}})
                  .Sort({{"name", true, false}})
                  .Collect();
  auto shape = FindParallelShape(*plan->input());
  ASSERT_TRUE(shape.has_value());
  EXPECT_NE(shape->aggregate, nullptr);
  ExpectSameAsOneThread(plan, 7);
}

// More cases (null keys, empty sides, above: aggregate, sort) in parallel_right_join_test.cc.
TEST(ParallelJoin, RightAndFullJoinsProbeInParallelWithTheSameResult) {
  for (JoinType type : {JoinType::kRight, JoinType::kFull}) {
    auto plan = FactStream().Join(DimStream(), {"k"}, {"id"}, type).Collect();
    EXPECT_TRUE(FindParallelShape(*plan->input()).has_value());
    ExpectSameAsOneThread(plan, 100'000);
  }
}

TEST(ParallelJoin, AnErrorInTheBuildSideFailsTheJobAsOnOneThread) {
  auto plan = FactStream().Join(DimStream(/*big_row=*/90'000), {"k"}, {"id"}).Collect();
  auto one = RunWith(plan, 1);
  ASSERT_FALSE(one.ok());
  for (int threads : {2, 8}) {
    auto got = RunWith(plan, threads);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().ToString(), one.status().ToString());
  }
}

// A probe input of one split (nothing to spread) still has its build side, an aggregate
// over a large input, run first and in parallel.
TEST(ParallelJoin, BuildSideOfAOneSplitProbeInput) {
  auto totals = FactStream().Aggregate({"k"}, {{F::kSum, "v", "sum_v"}, {F::kCountAll, "", "n"}});
  auto small = Stream::FromTable(Facts(3000), "small").Select({"k"});
  auto plan = small.Join(totals, {"k"}, {"k"}).Sort({{"k", true, false}}).Collect();
  ExpectSameAsOneThread(plan, 2000);
}

// An aggregate's output probing a join (TPC-H Q11, Q15): once the join is built, the chain
// below the aggregate is the parallel part and the probe runs above it.
TEST(ParallelJoin, AggregateBelowABuiltJoin) {
  auto totals = FactStream().Aggregate({"k"}, {{F::kSum, "v", "sum_v"}});
  auto plan = totals.Join(DimStream(), {"k"}, {"id"})
                  .Filter(BitAnd(col("w"), 1) == lit(int64_t{1}))
                  .Sort({{"k", true, false}, {"w", true, false}})
                  .Collect();
  const PlanNode& body = *plan->input();
  EXPECT_FALSE(FindParallelShape(body).has_value());
  const PlanNode* join = body.input()->input().get();
  ASSERT_EQ(join->kind(), PlanKind::kJoin);
  LowerOptions built;
  built.built_joins[join] = JoinBuildSide{};
  auto shape = FindParallelShape(body, built);
  ASSERT_TRUE(shape.has_value());
  EXPECT_EQ(shape->aggregate, static_cast<const AggregateNode*>(join->inputs()[0].get()));
  ExpectSameAsOneThread(plan, 1000);
}

// A subplan read twice (TPC-H Q15, Q17) runs once: its aggregate consumes the facts once.
TEST(ParallelJoin, ASharedSubplanRunsOnce) {
  auto totals = FactStream().Aggregate({"k"}, {{F::kSum, "v", "sum_v"}});
  auto top = totals.Aggregate({}, {{F::kMax, "sum_v", "max_v"}});
  auto plan = totals.Join(top, {"sum_v"}, {"max_v"}).Collect();
  ExpectSameAsOneThread(plan, 1);
  RunOptions options;
  options.threads = 2;
  auto result = RunPlan(*plan, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  int64_t aggregated = 0;
  for (const auto& step : result->operators) {
    if (step.label.rfind("Aggregate by k", 0) == 0) aggregated += step.rows_in;
  }
  EXPECT_EQ(aggregated, 750'000);
}

// The phases of a run at the top level, each label up to " of " ("build input", "hold
// Aggregate by k ...", "main on 2 threads").
std::vector<std::string> TopLevelStages(const ExecutorStats& stats) {
  std::vector<std::string> labels;
  for (const auto& stage : stats.stages) {
    if (stage.depth == 0) labels.push_back(stage.label.substr(0, stage.label.find(" of ")));
  }
  return labels;
}

// A run on several threads times its phases on the wall clock: the shared subplan held,
// each join's build input and hash table (with the phases of the build input's own run
// one level deeper), then the main pipeline; the formatted table lists them in order.
TEST(ParallelJoin, StagesTimeEachPhaseInOrder) {
  auto totals = FactStream().Aggregate({"k"}, {{F::kSum, "v", "sum_v"}});
  auto top = totals.Aggregate({}, {{F::kMax, "sum_v", "max_v"}});
  auto plan = totals.Join(top, {"sum_v"}, {"max_v"}).Collect();
  RunOptions options;
  options.threads = 2;
  auto result = RunPlan(*plan, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const auto& stages = result->stats.stages;
  for (const auto& stage : stages) {
    EXPECT_GE(stage.wall.count(), 0);
    EXPECT_LE(stage.wall, result->stats.wall);
  }
  EXPECT_EQ(TopLevelStages(result->stats), (std::vector<std::string>{"hold Aggregate by k sum_v := sum(v)", "build input",
                                                 "hash table", "main on one thread"}))
      << FormatStageStats(stages, result->stats.wall);
  auto groups = testing::RunWith(totals.Collect(), 1);  // what the held aggregate holds
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  EXPECT_EQ(stages.front().rows, (*groups)->num_rows());
  const std::string table = FormatStageStats(stages, result->stats.wall);
  EXPECT_EQ(table.rfind("stage", 0), 0u) << table;
  EXPECT_NE(table.find("hash table of Join inner on sum_v = max_v"), std::string::npos) << table;
  EXPECT_EQ(FormatStageStats({}, result->stats.wall), "");
}

// The largest state a run's join step held, in rows.
int64_t JoinPeakStateRows(const RunResult& result) {
  int64_t peak = -1;
  for (const auto& step : result.operators) {
    if (step.label.rfind("Join", 0) == 0) peak = std::max(peak, step.peak_state_rows);
  }
  return peak;
}

// On one thread too a bounded join's build side runs to its end before the probe side is
// read. The pipeline (which a job under a memory limit runs) reads its sources in turns,
// so a join built in it holds every probe batch read before its build side (here an
// aggregate over all the facts) ends. Both give the same rows in the same order.
TEST(ParallelJoin, OnOneThreadTheBuildSideRunsBeforeTheProbeIsRead) {
  auto totals = FactStream().Aggregate({"k"}, {{F::kSum, "v", "sum_v"}});
  auto plan = DimStream().Join(totals, {"id"}, {"k"}).Collect();
  ExpectSameAsOneThread(plan, 1000);
  RunOptions options;
  options.threads = 1;
  auto built_first = RunPlan(*plan, options);
  ASSERT_TRUE(built_first.ok()) << built_first.status().ToString();
  EXPECT_EQ(TopLevelStages(built_first->stats),
            (std::vector<std::string>{"build input", "hash table", "main on one thread"}))
      << FormatStageStats(built_first->stats.stages, built_first->stats.wall);
  EXPECT_EQ(JoinPeakStateRows(*built_first), 0);  // it only probed
  options.memory_limit_bytes = int64_t{1} << 30;  // far more than the job needs: nothing spills
  auto pipelined = RunPlan(*plan, options);
  ASSERT_TRUE(pipelined.ok()) << pipelined.status().ToString();
  EXPECT_EQ(pipelined->spill_files, 0);
  EXPECT_GT(JoinPeakStateRows(*pipelined), Dimension()->num_rows());  // build rows and held probe rows
  auto rows = [](const RunResult& result) {
    return *arrow::Table::FromRecordBatches(result.schema, result.collected);
  };
  EXPECT_TRUE(rows(*built_first)->Equals(*rows(*pipelined)));  // the probe side is read in order in both
}

// An aggregate whose result a join probes and a second aggregate reads (TPC-H Q13's
// shape) is held: the join and the second aggregate then read its result on every thread
// instead of taking it on the calling thread. Answers as on one thread.
TEST(ParallelJoin, AnAggregateBelowAJoinAndAnAggregateIsHeld) {
  auto per_v = FactStream().Aggregate({"v"}, {{F::kCount, "k", "n"}});  // 750K groups: 12 splits
  auto plan = per_v.Join(DimStream(), {"v"}, {"id"}, JoinType::kRight)
                  .Aggregate({"name"}, {{F::kSum, "n", "total"}, {F::kCount, "w", "rows"}})
                  .Sort({{"name", true, false}})
                  .Collect();
  ExpectSameAsOneThread(plan, 7);
  RunOptions options;
  options.threads = 2;
  auto result = RunPlan(*plan, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(TopLevelStages(result->stats), (std::vector<std::string>{"build input", "hash table", "hold Aggregate by v n := count(k)",
                                                 "main on 2 threads"}))
      << FormatStageStats(result->stats.stages, result->stats.wall);
}

// An aggregate with only cheap steps above it (a filter, a sort) is not held.
TEST(ParallelJoin, AnAggregateUnderCheapStepsIsNotHeld) {
  auto plan = FactStream()
                  .Aggregate({"k"}, {{F::kSum, "v", "sum_v"}})
                  .Filter(col("sum_v") > lit(int64_t{0}))
                  .Sort({{"k", true, false}})
                  .Collect();
  RunOptions options;
  options.threads = 2;
  auto result = RunPlan(*plan, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  for (const auto& stage : result->stats.stages) EXPECT_NE(stage.label.rfind("hold", 0), 0u) << stage.label;
}

TEST(ParallelJoin, AnUnboundedBuildSideIsNotParallel) {
  GeneratorOptions gen;
  gen.rows = -1;
  auto plan = FactStream().Join(Stream::Generate(gen), {"k"}, {"key"}).Collect();
  EXPECT_FALSE(FindParallelShape(*plan->input()).has_value());
}

}  // namespace
}  // namespace sabot
