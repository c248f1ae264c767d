// Projection pushdown (plan/optimizer/projection_pushdown.h) over CSV files: which
// columns each source reads after OptimizeWithFacts, and that answers do not change.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/plan/stream.h"
#include "sabot/runtime/plan_facts.h"
#include "sabot/runtime/run.h"
#include "sabot/runtime/tests/run_with_threads.h"

namespace sabot {
namespace {

namespace fs = std::filesystem;

class ProjectionPushdown : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sabot_projection_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // orders: id, customer, amount, note; customers: id, name, note (note clashes).
    std::ofstream(dir_ / "orders.csv") << "id,customer,amount,note\n1,10,5,a\n2,11,7,b\n3,10,9,c\n";
    std::ofstream(dir_ / "customers.csv") << "id,name,note\n10,ann,x\n11,bob,y\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  Stream Orders() const { return Stream::ReadCsv((dir_ / "orders.csv").string()); }
  Stream Customers() const { return Stream::ReadCsv((dir_ / "customers.csv").string()); }

  // The column lists of the optimized plan's sources, by file name, in plan order.
  static std::vector<std::string> SourceColumns(const PlanPtr& plan) {
    std::vector<std::string> out;
    std::function<void(const PlanNode&)> visit = [&](const PlanNode& node) {
      if (node.kind() == PlanKind::kSource) {
        const auto& spec = static_cast<const SourceNode&>(node).spec;
        std::string text = fs::path(spec.path).filename().string() + ":";
        for (const auto& c : spec.columns) text += " " + c;
        out.push_back(text);
      }
      for (const auto& input : node.inputs()) visit(*input);
    };
    visit(*plan);
    return out;
  }

  static std::shared_ptr<arrow::Table> Run(const PlanPtr& plan) {
    auto result = RunPlan(*plan);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? *result->ToTable() : nullptr;
  }

  fs::path dir_;
};

TEST_F(ProjectionPushdown, AnAggregateReadsItsKeysAndInputs) {
  auto plan = Orders()
                  .Filter(col("amount") > lit(int64_t{5}))
                  .Aggregate({"customer"}, {{AggregateFunction::kSum, "amount", "total"}})
                  .Collect();
  auto optimized = OptimizeWithFacts(*plan);
  EXPECT_EQ(SourceColumns(optimized), std::vector<std::string>{"orders.csv: customer amount"});
  auto table = Run(plan);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->num_rows(), 2);
  EXPECT_EQ(table->schema()->field_names(), (std::vector<std::string>{"customer", "total"}));
}

TEST_F(ProjectionPushdown, ASuffixedRightColumnKeepsTheLeftColumnItClashesWith) {
  // note_right is the customers' note: the orders' note must stay so the suffix does.
  auto plan = Orders()
                  .Join(Customers(), {"customer"}, {"id"})
                  .Select({"id", "name", "note_right"})
                  .Collect();
  auto optimized = OptimizeWithFacts(*plan);
  // The customers' columns are all used: their source reads everything, as written.
  EXPECT_EQ(SourceColumns(optimized), (std::vector<std::string>{"orders.csv: id customer note", "customers.csv:"}));
  auto table = Run(plan);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->num_rows(), 3);
  auto notes = table->GetColumnByName("note_right");
  ASSERT_NE(notes, nullptr);
  EXPECT_EQ(notes->GetScalar(0).ValueOrDie()->ToString().size(), 1u);  // x or y, the customers' notes
}

TEST_F(ProjectionPushdown, ASharedSourceReadsWhatEveryUseNeedsAndStaysShared) {
  const Stream orders = Orders();
  auto totals = orders.Aggregate({"customer"}, {{AggregateFunction::kSum, "amount", "total"}});
  auto plan = orders.Join(totals, {"customer"}, {"customer"}).Select({"id", "total"}).Collect();
  auto optimized = OptimizeWithFacts(*plan);
  // Both uses together need id, customer and amount, not note.
  EXPECT_EQ(SourceColumns(optimized),
            (std::vector<std::string>{"orders.csv: id customer amount", "orders.csv: id customer amount"}));
  std::vector<const PlanNode*> sources;
  std::function<void(const PlanNode&)> visit = [&](const PlanNode& node) {
    if (node.kind() == PlanKind::kSource) sources.push_back(&node);
    for (const auto& input : node.inputs()) visit(*input);
  };
  visit(*optimized);
  ASSERT_EQ(sources.size(), 2u);
  EXPECT_EQ(sources[0], sources[1]);
}

TEST_F(ProjectionPushdown, ThePlansOutputAndUnknownStepsKeepEveryColumn) {
  EXPECT_EQ(SourceColumns(OptimizeWithFacts(*Orders().Filter(col("amount") > lit(int64_t{5})).Collect())),
            std::vector<std::string>{"orders.csv:"});
  auto counted = Orders().Aggregate({}, {{AggregateFunction::kCountAll, "", "n"}}).Collect();
  EXPECT_EQ(SourceColumns(OptimizeWithFacts(*counted)), std::vector<std::string>{"orders.csv: id"});
  auto table = Run(counted);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->GetColumnByName("n")->GetScalar(0).ValueOrDie()->ToString(), "3");
}

TEST_F(ProjectionPushdown, AJoinEmitsOnlyTheColumnsUsedAboveIt) {
  // The keys (customer, id) are matched on, not used above: the join does not gather them.
  auto plan = Orders()
                  .Join(Customers(), {"customer"}, {"id"})
                  .Aggregate({"name"}, {{AggregateFunction::kSum, "amount", "total"}})
                  .Collect();
  auto optimized = OptimizeWithFacts(*plan);
  const PlanNode* join = optimized->input()->input().get();
  ASSERT_EQ(join->kind(), PlanKind::kJoin);
  const auto& output = static_cast<const JoinNode&>(*join).spec.output_columns;
  ASSERT_TRUE(output.has_value());
  EXPECT_EQ(*output, (std::vector<std::string>{"amount", "name"}));
  auto table = Run(plan);
  ASSERT_NE(table, nullptr);
  ASSERT_EQ(table->num_rows(), 2);
  std::vector<std::string> totals;
  for (int64_t i = 0; i < table->num_rows(); ++i) {
    totals.push_back(table->GetColumnByName("name")->GetScalar(i).ValueOrDie()->ToString() + " " +
                     table->GetColumnByName("total")->GetScalar(i).ValueOrDie()->ToString());
  }
  std::sort(totals.begin(), totals.end());
  EXPECT_EQ(totals, (std::vector<std::string>{"ann 14", "bob 7"}));
  // count(*) over a join still gets its rows in batches of one column.
  auto counted = Orders()
                     .Join(Customers(), {"customer"}, {"id"})
                     .Aggregate({}, {{AggregateFunction::kCountAll, "", "n"}})
                     .Collect();
  auto counted_optimized = OptimizeWithFacts(*counted);
  const PlanNode* counted_join = counted_optimized->input()->input().get();
  ASSERT_EQ(counted_join->kind(), PlanKind::kJoin);
  EXPECT_EQ(static_cast<const JoinNode&>(*counted_join).spec.output_columns, std::vector<std::string>{"customer"});
  auto n = Run(counted);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->GetColumnByName("n")->GetScalar(0).ValueOrDie()->ToString(), "3");
}

TEST(ProjectionPushdownOfJoins, ASwappedJoinEmitsOnlyWhatItsProjectionKeeps) {
  // The 100 small rows are built: the join is swapped under a projection restoring the
  // written column order, which names every column but keeps only b and e.
  auto small = testing::Int64Table("small", {"a", "b"}, 100, {0, 0});
  auto big = testing::Int64Table("big", {"c", "d", "e"}, 10'000, {100, 0, 0});
  auto plan = small.Join(big, {"a"}, {"c"}).Aggregate({"b"}, {{AggregateFunction::kSum, "e", "t"}}).Collect();
  const std::string text = testing::Explained(plan);
  EXPECT_NE(text.find("Join inner on c = a output e, b\n"), std::string::npos) << text;
  // Row b of small meets the big rows e = b + 100 k: their sum is 100 b + 100 * 99 * 100 / 2.
  std::vector<std::string> want;
  for (int64_t b = 0; b < 100; ++b) want.push_back(std::to_string(b) + "|" + std::to_string(100 * b + 495'000));
  std::sort(want.begin(), want.end());
  testing::ExpectRows(plan, want);
}

TEST_F(ProjectionPushdown, AWithColumnsKeepsOnlyWhatIsUsedAbove) {
  // The code cut from the note is used above, the note itself is not: the step computing
  // the code drops it (a projection), so the join does not carry it.
  const Stream coded = Orders().WithColumn("code", Expr::Call("utf8_upper", {col("note")}));
  auto plan = coded.Join(Customers(), {"customer"}, {"id"})
                  .Aggregate({"code"}, {{AggregateFunction::kSum, "amount", "total"}})
                  .Collect();
  auto optimized = OptimizeWithFacts(*plan);
  const PlanNode* join = optimized->input()->input().get();
  ASSERT_EQ(join->kind(), PlanKind::kJoin);
  const PlanNode* below = join->inputs()[0].get();
  ASSERT_EQ(below->kind(), PlanKind::kProject) << below->Describe();
  std::vector<std::string> names;
  for (const auto& c : static_cast<const ProjectNode&>(*below).columns) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"customer", "amount", "code"}));
  auto table = Run(plan);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->num_rows(), 3);  // A, B, C
  // A union's inputs keep one schema: a with_columns under it is left as written.
  auto unioned = coded.Union(coded).Aggregate({"code"}, {{AggregateFunction::kCountAll, "", "n"}}).Collect();
  auto kept = OptimizeWithFacts(*unioned);
  EXPECT_EQ(kept->input()->input()->inputs()[0]->kind(), PlanKind::kWithColumns);
  auto counts = Run(unioned);
  ASSERT_NE(counts, nullptr);
  EXPECT_EQ(counts->num_rows(), 3);
}

}  // namespace
}  // namespace sabot
