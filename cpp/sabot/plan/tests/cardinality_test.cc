// Filter selectivity guesses (plan/optimizer/cardinality.h): string patterns are judged
// by how many fixed characters they require, their negations by what they leave.
#include <arrow/scalar.h>
#include <gtest/gtest.h>

#include "sabot/plan/optimizer/cardinality.h"

namespace sabot {
namespace {

Expr Match(const std::string& function, const std::string& pattern) {
  return Expr::Call(function, {col("s")}, {{"pattern", pattern}});
}

TEST(FilterSelectivity, LikeKeepsLessTheMoreFixedCharactersItRequires) {
  // TPC-H Q9's p_name LIKE '%green%' keeps about 5% of the parts.
  const double green = FilterSelectivity(Match("match_like", "%green%"));
  EXPECT_LT(green, 0.1);
  EXPECT_GT(green, 0.01);
  EXPECT_LT(FilterSelectivity(Match("match_like", "%green%lace%")), green);
  // Wildcards require nothing: '_' and '%' do not count.
  EXPECT_DOUBLE_EQ(FilterSelectivity(Match("match_like", "%g_e%")), FilterSelectivity(Match("match_like", "ge%")));
  EXPECT_DOUBLE_EQ(FilterSelectivity(Match("match_like", "%")), 1.0);
  // Never below a floor: a long pattern still matches something.
  EXPECT_GE(FilterSelectivity(Match("match_like", std::string(40, 'x'))), 0.001);
  // Substring, prefix, suffix and regex matches alike.
  EXPECT_DOUBLE_EQ(FilterSelectivity(Match("match_substring", "green")), green);
  EXPECT_DOUBLE_EQ(FilterSelectivity(Match("starts_with", "green")), green);
  EXPECT_DOUBLE_EQ(FilterSelectivity(Match("match_substring_regex", "gr.*een")), green);
}

TEST(FilterSelectivity, NotLikeKeepsWhatLikeLeaves) {
  // TPC-H Q13's o_comment NOT LIKE '%special%requests%' keeps about 99% of the orders.
  EXPECT_GT(FilterSelectivity(!Match("match_like", "%special%requests%")), 0.99);
  EXPECT_DOUBLE_EQ(FilterSelectivity(!Match("match_like", "%green%")),
                   1.0 - FilterSelectivity(Match("match_like", "%green%")));
  // Other conjuncts keep their guesses and multiply.
  EXPECT_DOUBLE_EQ(FilterSelectivity(Match("match_like", "%green%") && col("a") == lit(int64_t{1})),
                   FilterSelectivity(Match("match_like", "%green%")) * 0.1);
  EXPECT_DOUBLE_EQ(FilterSelectivity(!(col("a") == lit(int64_t{1}))), 0.5);
}

// With a column's distinct values known, equality keeps one in that many, inequality the
// rest, a set of k values k of them; unknown columns keep the fixed guesses.
TEST(FilterSelectivity, DistinctValuesRefineEqualityAndSets) {
  ColumnStats type;
  type.distinct = 150;
  const ColumnStatsOf distinct = [&](const std::string& name) { return name == "type" ? &type : nullptr; };
  const auto steel = col("type") == lit(std::string("ECONOMY ANODIZED STEEL"));
  EXPECT_DOUBLE_EQ(FilterSelectivity(steel, distinct), 1.0 / 150);
  EXPECT_DOUBLE_EQ(FilterSelectivity(steel), 0.1);
  EXPECT_DOUBLE_EQ(FilterSelectivity(Expr::Call("not_equal", {col("type"), lit(std::string("x"))}), distinct),
                   1.0 - 1.0 / 150);
  EXPECT_DOUBLE_EQ(FilterSelectivity(Expr::Call("is_in", {col("type")}, {{"value_set", R"(["a", "b", "c"])"}}),
                                     distinct),
                   3.0 / 150);
  EXPECT_DOUBLE_EQ(FilterSelectivity(col("size") == lit(int64_t{3}), distinct), 0.1);  // unknown column
  // Two columns compared: no literal side, so the guess.
  EXPECT_DOUBLE_EQ(FilterSelectivity(col("type") == col("other"), distinct), 0.1);
  EXPECT_DOUBLE_EQ(FilterSelectivity(steel && col("size") == lit(int64_t{3}), distinct), 0.1 / 150);
}

// With a column's range known, its range tests together keep the part of the range they
// leave: a between over a fifth of it keeps a fifth, not the product of its two bounds.
TEST(FilterSelectivity, RangesKeepTheirOverlapWithTheColumnsValues) {
  ColumnStats day;
  day.range = std::make_pair(0.0, 1000.0);
  const ColumnStatsOf stats = [&](const std::string& name) { return name == "day" ? &day : nullptr; };
  auto d = [](int32_t v) { return Expr::Literal(std::make_shared<arrow::Date32Scalar>(v)); };
  EXPECT_DOUBLE_EQ(FilterSelectivity(col("day") >= d(200) && col("day") <= d(400), stats), 0.2);
  EXPECT_DOUBLE_EQ(FilterSelectivity(col("day") < d(250), stats), 0.25);
  EXPECT_DOUBLE_EQ(FilterSelectivity(d(250) < col("day"), stats), 0.75);  // the literal first
  EXPECT_DOUBLE_EQ(FilterSelectivity(col("day") > d(5000), stats), 0.001);  // past the values: the floor
  EXPECT_DOUBLE_EQ(FilterSelectivity(col("day") < d(5000), stats), 1.0);
  EXPECT_NEAR(FilterSelectivity(col("day") >= d(200) && col("other") < lit(int64_t{3}), stats), 0.8 * 0.33, 1e-12);
  EXPECT_DOUBLE_EQ(FilterSelectivity(col("day") >= d(200)), 0.33);  // no statistics: the guess
}

}  // namespace
}  // namespace sabot
