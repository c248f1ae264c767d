// Casts at the source: which decimal-to-float64 casts become read_as requests of the
// Parquet source below them, and that the plan's schema stays the same.
#include <functional>

#include <arrow/type.h>
#include <gtest/gtest.h>

#include "sabot/plan/optimizer/optimizer.h"
#include "sabot/plan/plan_json.h"
#include "sabot/plan/stream.h"

namespace sabot {
namespace {

// The file's columns: a and b decimals stored as integers, which the source reads as
// float64 natively; c a string, d a decimal it does not (fixed-size binary).
std::vector<std::shared_ptr<arrow::Field>> NativeReadTypes() {
  return {arrow::field("a", arrow::float64()), arrow::field("b", arrow::float64())};
}

Stream Scan(const std::string& path = "t.parquet") { return Stream::ReadParquet(path, {"a", "b", "c", "d"}); }

Expr ToFloat64(const std::string& name) { return Cast(col(name), arrow::float64()); }

// The facts the runtime gathers for these plans: what each source reads natively.
PlanFacts SourceFacts(const PlanNode& root) {
  PlanFacts facts;
  std::function<void(const PlanNode&)> visit = [&](const PlanNode& node) {
    if (node.kind() == PlanKind::kSource) facts.read_types[&node] = NativeReadTypes();
    for (const auto& input : node.inputs()) visit(*input);
  };
  visit(root);
  return facts;
}

PlanPtr Optimize(const Stream& stream) {
  const PlanPtr plan = stream.Collect();
  const PlanFacts facts = SourceFacts(*plan);
  return OptimizePlan(*plan, &facts);
}

std::string Optimized(const Stream& stream) { return Explain(*Optimize(stream)); }

const SourceSpec& SourceOf(const PlanNode& root) {
  const PlanNode* node = &root;
  while (node->kind() != PlanKind::kSource) node = node->input().get();
  return static_cast<const SourceNode&>(*node).spec;
}

TEST(CastAtSource, ACastRightOverTheSourceBecomesAReadType) {
  auto stream = Scan().WithColumns({{"a", ToFloat64("a")}, {"b", ToFloat64("b")}});
  EXPECT_EQ(Explain(*stream.Collect()),
            "Sink collect\n"
            "  WithColumns a := cast(a, to=float64), b := cast(b, to=float64)\n"
            "    Source parquet t.parquet columns=[a, b, c, d]\n");
  const PlanPtr optimized = Optimize(stream);
  EXPECT_EQ(Explain(*optimized),
            "Sink collect\n"
            "  Source parquet t.parquet columns=[a, b, c, d] read_as=[a: float64, b: float64]\n");
  // The columns keep their place and name; only the type changed, as the cast had it.
  const SourceSpec& spec = SourceOf(*optimized);
  ASSERT_EQ(spec.read_as.size(), 2u);
  EXPECT_TRUE(spec.read_as[0]->Equals(arrow::field("a", arrow::float64())));
  EXPECT_TRUE(spec.read_as[1]->Equals(arrow::field("b", arrow::float64())));
}

TEST(CastAtSource, TheReadTypesSurviveSerialization) {
  const PlanPtr optimized = Optimize(Scan().WithColumn("a", ToFloat64("a")));
  auto text = SerializePlan(*optimized);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  auto back = DeserializePlan(*text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(Explain(**back), Explain(*optimized));
}

TEST(CastAtSource, FiltersBelowTheCastStayAndTheOnesAboveSeeTheDoubles) {
  // As TPC-H Q6 is written: the filter on the casts' columns stays above them until the
  // casts are gone, then goes down to the source and reads the doubles.
  auto stream = Scan()
                    .WithColumns({{"a", ToFloat64("a")}, {"b", ToFloat64("b")}})
                    .Filter((col("c") == lit("x")) && (col("a") < lit(24.0)));
  EXPECT_EQ(Optimized(stream),
            "Sink collect\n"
            "  Filter ((c == 'x') and (a < 24))\n"
            "    Source parquet t.parquet columns=[a, b, c, d] read_as=[a: float64, b: float64]\n");
  // A filter already below the cast that does not read the column.
  auto below = Scan().Filter(col("c") == lit("x")).WithColumn("a", ToFloat64("a"));
  EXPECT_EQ(Optimized(below),
            "Sink collect\n"
            "  Filter (c == 'x')\n"
            "    Source parquet t.parquet columns=[a, b, c, d] read_as=[a: float64]\n");
}

TEST(CastAtSource, AFilterBelowThatReadsTheColumnKeepsItsDecimals) {
  auto stream = Scan().Filter(col("a") > lit(1.0)).WithColumns({{"a", ToFloat64("a")}, {"b", ToFloat64("b")}});
  EXPECT_EQ(Optimized(stream),
            "Sink collect\n"
            "  WithColumns a := cast(a, to=float64)\n"
            "    Filter (a > 1)\n"
            "      Source parquet t.parquet columns=[a, b, c, d] read_as=[b: float64]\n");
}

TEST(CastAtSource, OnlyInPlaceCastsToATypeTheSourceReadsNatively) {
  auto stream = Scan().WithColumns({
      {"a2", ToFloat64("a")},                       // a new name: a stays a decimal
      {"b", Cast(col("b"), arrow::float32())},      // not the type it reads natively
      {"c", ToFloat64("c")},                        // not read natively at all
      {"d", ToFloat64("d")},
  });
  EXPECT_EQ(Optimized(stream), Explain(*stream.Collect()));
}

TEST(CastAtSource, AColumnAnotherExpressionReadsStaysADecimal) {
  auto stream = Scan().WithColumns({{"a", ToFloat64("a")}, {"e", col("a") * lit(2.0)}, {"b", ToFloat64("b")}});
  EXPECT_EQ(Optimized(stream),
            "Sink collect\n"
            "  WithColumns a := cast(a, to=float64), e := (a * 2)\n"
            "    Source parquet t.parquet columns=[a, b, c, d] read_as=[b: float64]\n");
}

TEST(CastAtSource, NotOverOtherNodesOrOtherSources) {
  // A projection between the cast and the source.
  auto renamed = Scan().Rename({{"c", "e"}}).WithColumn("a", ToFloat64("a"));
  EXPECT_EQ(Optimized(renamed), Explain(*renamed.Collect()));
  // A source that reads nothing natively (a CSV file).
  auto csv = Stream::ReadCsv("t.csv").WithColumn("a", ToFloat64("a"));
  const PlanPtr plan = csv.Collect();
  PlanFacts facts;
  facts.read_types[plan->input()->input().get()] = {};
  EXPECT_EQ(Explain(*OptimizePlan(*plan, &facts)), Explain(*plan));
  // Without facts nothing is known of what the source reads natively.
  auto stream = Scan().WithColumn("a", ToFloat64("a"));
  EXPECT_EQ(Explain(*OptimizePlan(*stream.Collect())), Explain(*stream.Collect()));
}

}  // namespace
}  // namespace sabot
