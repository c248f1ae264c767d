// Filter pushdown: where each conjunct of a filter ends up in the optimized plan.
#include <gtest/gtest.h>

#include "sabot/plan/optimizer/optimizer.h"
#include "sabot/plan/stream.h"

namespace sabot {
namespace {

Stream Scan() { return Stream::ReadParquet("t.parquet", {"a", "b", "c"}); }

std::string Optimized(const Stream& stream) { return Explain(*OptimizePlan(*stream.Collect())); }

TEST(FilterPushdown, GoesBelowWithColumnsThatDoNotComputeItsColumns) {
  auto stream = Scan().WithColumn("b", col("b") * lit(2.0)).Filter(col("a") > lit(int64_t{1}));
  EXPECT_EQ(Optimized(stream),
            "Sink collect\n"
            "  WithColumns b := (b * 2)\n"
            "    Filter (a > 1)\n"
            "      Source parquet t.parquet columns=[a, b, c]\n");
}

TEST(FilterPushdown, SplitsConjunctsOnComputedColumns) {
  auto stream = Scan()
                    .WithColumn("b", col("b") * lit(2.0))
                    .Filter((col("a") > lit(int64_t{1})) && (col("b") < lit(3.0)) && (col("c") == lit("x")));
  EXPECT_EQ(Optimized(stream),
            "Sink collect\n"
            "  Filter (b < 3)\n"
            "    WithColumns b := (b * 2)\n"
            "      Filter ((a > 1) and (c == 'x'))\n"
            "        Source parquet t.parquet columns=[a, b, c]\n");
}

TEST(FilterPushdown, ThroughRenameAndProjectWithTheNamesBelow) {
  auto stream = Scan()
                    .Rename({{"a", "x"}})
                    .Project({{"y", col("x")}, {"sum", col("b") + col("c")}})
                    .Filter((col("y") > lit(int64_t{1})) && (col("sum") > lit(int64_t{0})));
  EXPECT_EQ(Optimized(stream),
            "Sink collect\n"
            "  Filter (sum > 0)\n"
            "    Project y := x, sum := (b + c)\n"
            "      Rename a -> x\n"
            "        Filter (a > 1)\n"
            "          Source parquet t.parquet columns=[a, b, c]\n");
}

TEST(FilterPushdown, StopsAtJoinsAggregatesAndOtherFilters) {
  auto other = Stream::ReadParquet("u.parquet", {"a", "d"});
  auto stream = Scan()
                    .Filter(col("c") == lit("x"))
                    .Join(other, {"a"}, {"a"})
                    .Aggregate({"b"}, {{AggregateFunction::kSum, "d", "d"}})
                    .Filter(col("b") > lit(0.0));
  EXPECT_EQ(Optimized(stream), Explain(*stream.Collect()));
}

TEST(FilterPushdown, SharedSubtreesStayShared) {
  auto base = Scan().WithColumn("b", col("b") * lit(2.0));
  auto stream = base.Filter(col("a") > lit(int64_t{1})).Join(base, {"a"}, {"a"});
  auto optimized = OptimizePlan(*stream.Join(base, {"c"}, {"c"}).Collect());
  const PlanNode& outer = *optimized->input();
  EXPECT_EQ(outer.inputs()[1].get(), outer.input()->inputs()[1].get());
}

}  // namespace
}  // namespace sabot
