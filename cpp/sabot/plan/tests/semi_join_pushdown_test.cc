// Semi/anti join pushdown: the join moves below the WithColumns over its left input
// when its keys read none of the computed columns.
#include <gtest/gtest.h>

#include "sabot/plan/optimizer/optimizer.h"
#include "sabot/plan/stream.h"

namespace sabot {
namespace {

Stream Items() { return Stream::ReadParquet("items.parquet", {"key", "price"}); }
Stream Parts() { return Stream::ReadParquet("parts.parquet", {"p_key"}); }

std::string Optimized(const Stream& stream) { return Explain(*OptimizePlan(*stream.Collect())); }

JoinSpec Spec(JoinType type, std::string left_key) {
  JoinSpec spec;
  spec.type = type;
  spec.left_keys = {std::move(left_key)};
  spec.right_keys = {"p_key"};
  return spec;
}

TEST(SemiJoinPushdown, SemiAndAntiJoinsGoBelowColumnsTheyDoNotRead) {
  for (auto [type, name] : {std::pair{JoinType::kSemi, "semi"}, std::pair{JoinType::kAnti, "anti"}}) {
    auto stream = Items()
                      .WithColumn("price", col("price") * lit(2.0))
                      .WithColumn("tax", col("price") * lit(0.1))
                      .Join(Parts(), Spec(type, "key"));
    EXPECT_EQ(Optimized(stream), std::string("Sink collect\n"
                                             "  WithColumns tax := (price * 0.1)\n"
                                             "    WithColumns price := (price * 2)\n"
                                             "      Join ") +
                                     name +
                                     " on key = p_key\n"
                                     "        Source parquet items.parquet columns=[key, price]\n"
                                     "        Source parquet parts.parquet columns=[p_key]\n");
  }
}

TEST(SemiJoinPushdown, StaysAboveColumnsItsKeysRead) {
  auto stream = Items()
                    .WithColumn("price", col("price") * lit(2.0))
                    .WithColumn("key", col("key") + lit(int64_t{1}))
                    .Join(Parts(), Spec(JoinType::kSemi, "key"));
  EXPECT_EQ(Optimized(stream),
            "Sink collect\n"
            "  Join semi on key = p_key\n"
            "    WithColumns key := (key + 1)\n"
            "      WithColumns price := (price * 2)\n"
            "        Source parquet items.parquet columns=[key, price]\n"
            "    Source parquet parts.parquet columns=[p_key]\n");
}

TEST(SemiJoinPushdown, InnerJoinsAndResidualsStay) {
  auto inner = Items().WithColumn("price", col("price") * lit(2.0)).Join(Parts(), Spec(JoinType::kInner, "key"));
  EXPECT_NE(Optimized(inner).find("  Join inner on key = p_key\n    WithColumns"), std::string::npos)
      << Optimized(inner);
  JoinSpec residual = Spec(JoinType::kSemi, "key");
  residual.residual = col("p_key") != col("key");
  auto with_residual = Items().WithColumn("price", col("price") * lit(2.0)).Join(Parts(), residual);
  EXPECT_NE(Optimized(with_residual).find("    WithColumns price"), std::string::npos) << Optimized(with_residual);
}

}  // namespace
}  // namespace sabot
