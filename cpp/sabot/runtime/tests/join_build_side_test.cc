// Build-side choice (plan/optimizer/join_build_side.h): the plans the optimizer rewrites
// to, and that every rewritten plan gives the answer the plan as written defines, on one
// and on two threads.
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/plan/stream.h"
#include "sabot/runtime/run.h"
#include "sabot/runtime/tests/run_with_threads.h"

namespace sabot {
namespace {

using testing::Explained;
using testing::ExpectRows;
using testing::Int64Table;

constexpr int64_t kOrders = 200'000;
constexpr int64_t kItemsPerOrder = 4;

// orders: o_key = i, o_flag = i % 100 (a filter on one flag keeps 1%).
Stream Orders() { return testing::OrdersTable(kOrders); }

// items: row i belongs to order i % kOrders (4 items per order), supplier i % 13.
Stream Items() {
  return Int64Table("items", {"l_key", "l_supp", "l_id"}, kOrders * kItemsPerOrder, {kOrders, 13, 0});
}

Stream FlaggedOrders() { return testing::FlaggedOrders(kOrders); }

// parts: p_key = i, one name in 20 has "green" in it (as TPC-H's p_name, about 5%).
Stream Parts() {
  arrow::Int64Builder key;
  arrow::StringBuilder name;
  for (int64_t i = 0; i < kOrders; ++i) {
    EXPECT_TRUE(key.Append(i).ok());
    EXPECT_TRUE(name.Append(i % 20 == 3 ? "dark green lace" : "plain ivory lace").ok());
  }
  auto schema = arrow::schema({arrow::field("p_key", arrow::int64()), arrow::field("p_name", arrow::utf8())});
  return Stream::FromTable(arrow::Table::Make(schema, {*key.Finish(), *name.Finish()}), "parts");
}

// An EXISTS (semi) or NOT EXISTS (anti) of orders in items, with the residual `where`.
JoinSpec OrderHasItem(JoinType type, Expr where) {
  JoinSpec spec;
  spec.type = type;
  spec.left_keys = {"o_key"};
  spec.right_keys = {"l_key"};
  spec.residual = std::move(where);
  return spec;
}

// The output schema explain prints under the first node whose description starts with
// `node` ("" if none).
std::string SchemaBelow(const std::string& text, const std::string& node) {
  const size_t at = text.find(node);
  if (at == std::string::npos) return "";
  const size_t line = text.find('\n', at) + 1;
  const size_t arrow = text.find("-> ", line);
  const size_t end = text.find('\n', line);
  if (arrow == std::string::npos || arrow > end) return "";
  return text.substr(arrow + 3, end - arrow - 3);
}

Expr NameLike(const std::string& pattern) {
  return Expr::Call("match_like", {col("p_name")}, {{"pattern", pattern}});
}

TEST(JoinBuildSide, InnerJoinBuildsOnTheSmallerSideAndKeepsTheColumnOrder) {
  // 2000 orders against 800K items: the items were the build side as written.
  auto plan = FlaggedOrders().Join(Items(), {"o_key"}, {"l_key"}).Collect();
  const std::string text = Explained(plan);
  EXPECT_NE(text.find("Project o_key, o_flag, l_key, l_supp, l_id\n"
                      "    -> o_key: int64, o_flag: int64, l_key: int64, l_supp: int64, l_id: int64\n"
                      "    Join inner on l_key = o_key\n"),
            std::string::npos)
      << text;
  // The items are the probe (left) input now, the flagged orders the build (right) one.
  EXPECT_LT(text.find("Source memory items"), text.find("Filter (o_flag == 7)")) << text;
  std::vector<std::string> want;
  for (int64_t o = 7; o < kOrders; o += 100) {
    for (int64_t j = 0; j < kItemsPerOrder; ++j) {
      const int64_t i = o + j * kOrders;
      want.push_back(std::to_string(o) + "|7|" + std::to_string(o) + "|" + std::to_string(i % 13) + "|" +
                     std::to_string(i));
    }
  }
  std::sort(want.begin(), want.end());
  ExpectRows(plan, want);
}

Expr OrMinusOne(const std::string& column) { return Expr::Call("coalesce", {col(column), lit(int64_t{-1})}); }

// TPC-H Q13's shape: few orders left joined with many items. The right join that builds
// on the orders emits the orders without an item (here: of a supplier below 2) at the end,
// with null item columns (-1 below), as the left join does.
TEST(JoinBuildSide, LeftJoinWithASmallLeftBuildsOnTheLeft) {
  auto items = Items().Filter(col("l_supp") < lit(int64_t{2}));
  auto plan = FlaggedOrders()
                  .Join(items, {"o_key"}, {"l_key"}, JoinType::kLeft)
                  .WithColumn("l_key", OrMinusOne("l_key"))
                  .WithColumn("l_supp", OrMinusOne("l_supp"))
                  .WithColumn("l_id", OrMinusOne("l_id"))
                  .Collect();
  const std::string text = Explained(plan);
  EXPECT_NE(text.find("Project o_key, o_flag, l_key, l_supp, l_id\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Join right on l_key = o_key\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("Join left"), std::string::npos) << text;
  EXPECT_LT(text.find("Source memory items"), text.find("Filter (o_flag == 7)")) << text;
  std::vector<std::string> want;
  int64_t unmatched = 0;
  for (int64_t o = 7; o < kOrders; o += 100) {
    const std::string order = std::to_string(o) + "|7|";
    bool matched = false;
    for (int64_t j = 0; j < kItemsPerOrder; ++j) {
      const int64_t i = o + j * kOrders;
      if (i % 13 >= 2) continue;
      matched = true;
      want.push_back(order + std::to_string(o) + "|" + std::to_string(i % 13) + "|" + std::to_string(i));
    }
    if (!matched) want.push_back(order + "-1|-1|-1");
    unmatched += static_cast<int64_t>(!matched);
  }
  ASSERT_GT(unmatched, 100);
  std::sort(want.begin(), want.end());
  ExpectRows(plan, want);
}

TEST(JoinBuildSide, LeftJoinWithASmallRightKeepsTheWrittenBuildSide) {
  auto plan = Items().Join(FlaggedOrders(), {"l_key"}, {"o_key"}, JoinType::kLeft).Collect();
  const std::string text = Explained(plan);
  EXPECT_EQ(text.find("Join right"), std::string::npos) << text;
  EXPECT_NE(text.find("Join left on l_key = o_key"), std::string::npos) << text;
}

TEST(JoinBuildSide, SmallerWrittenRightStaysTheBuildSide) {
  auto plan = Items().Join(FlaggedOrders(), {"l_key"}, {"o_key"}).Collect();
  const std::string text = Explained(plan);
  EXPECT_EQ(text.find("Project"), std::string::npos) << text;
  EXPECT_EQ(text.find("Join semi"), std::string::npos) << text;
}

// Q21's shape: orders EXISTS an item of another supplier, NOT EXISTS one of a third. The
// items are the large side: each join builds on the orders instead and marks the ones the
// items match (right semi / right anti), reading the items once.
TEST(JoinBuildSide, SemiAndAntiJoinsWithALargeRightBuildOnTheLeft) {
  const JoinSpec exists = OrderHasItem(JoinType::kSemi, col("l_supp") != col("o_flag"));
  const JoinSpec not_exists =
      OrderHasItem(JoinType::kAnti, col("l_supp") == lit(int64_t{12}) && col("o_flag") == lit(int64_t{7}));
  auto plan = FlaggedOrders()
                  .Filter(col("o_key") < lit(int64_t{150'000}))
                  .Join(Items(), exists)
                  .Join(Items(), not_exists)
                  .Collect();
  const std::string text = Explained(plan);
  EXPECT_EQ(SchemaBelow(text, "Join right_semi on l_key = o_key"), "o_key: int64, o_flag: int64") << text;
  EXPECT_EQ(SchemaBelow(text, "Join right_anti on l_key = o_key"), "o_key: int64, o_flag: int64") << text;
  EXPECT_EQ(text.find("Join semi"), std::string::npos) << text;
  EXPECT_EQ(text.find("Join anti"), std::string::npos) << text;
  // Order o (o % 100 == 7) has items of suppliers (o + j * kOrders) % 13: EXISTS holds
  // when one is not 7; NOT EXISTS removes orders with an item of supplier 12.
  std::vector<std::string> want;
  for (int64_t o = 7; o < 150'000; o += 100) {
    bool other = false, twelve = false;
    for (int64_t j = 0; j < kItemsPerOrder; ++j) {
      const int64_t supp = (o + j * kOrders) % 13;
      other |= supp != 7;
      twelve |= supp == 12;
    }
    if (other && !twelve) want.push_back(std::to_string(o) + "|7");
  }
  std::sort(want.begin(), want.end());
  ASSERT_GT(want.size(), 100u);
  ExpectRows(plan, want);
  auto got = testing::RunWith(plan, 8);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ((*got)->schema()->field_names(), (std::vector<std::string>{"o_key", "o_flag"}));
  EXPECT_EQ(testing::SortedRows(**got), want);
}

// A residual over a name both sides have reads the right side's column through its
// suffix, which would move to the other side's column with the sides swapped: such a join
// reduces its build side instead.
TEST(JoinBuildSide, SemiJoinWithAResidualOverClashingNamesStillReduces) {
  const JoinSpec exists = OrderHasItem(JoinType::kSemi, col("o_flag_right") != col("o_flag"));
  auto items = Items().WithColumn("o_flag", col("l_supp"));
  auto plan = FlaggedOrders().Join(items, exists).Collect();
  const std::string text = Explained(plan);
  EXPECT_EQ(text.find("Join right_semi"), std::string::npos) << text;
  EXPECT_NE(text.find("Join semi on l_key = o_key"), std::string::npos) << text;
  std::vector<std::string> want;
  for (int64_t o = 7; o < kOrders; o += 100) {
    bool other = false;
    for (int64_t j = 0; j < kItemsPerOrder; ++j) other |= (o + j * kOrders) % 13 != 7;
    if (other) want.push_back(std::to_string(o) + "|7");
  }
  std::sort(want.begin(), want.end());
  ExpectRows(plan, want);
}

// Without a residual the names do not matter: the output is the left input's columns,
// under their names, whichever side is built.
TEST(JoinBuildSide, AntiJoinWithClashingNamesBuildsOnTheLeft) {
  // The items of the first 200K ids: one per order, of supplier o % 13.
  auto items = Items().WithColumn("o_flag", col("l_supp")).Filter(col("l_id") < lit(int64_t{200'000}));
  auto plan = FlaggedOrders()
                  .Join(items.Filter(col("l_supp") != lit(int64_t{3})), {"o_key"}, {"l_key"}, JoinType::kAnti)
                  .Collect();
  const std::string text = Explained(plan);
  EXPECT_EQ(SchemaBelow(text, "Join right_anti on l_key = o_key"), "o_key: int64, o_flag: int64") << text;
  std::vector<std::string> want;
  for (int64_t o = 7; o < kOrders; o += 100) {
    if (o % 13 == 3) want.push_back(std::to_string(o) + "|7");
  }
  std::sort(want.begin(), want.end());
  ASSERT_GT(want.size(), 100u);
  ExpectRows(plan, want);
}

TEST(JoinBuildSide, ClashingNamesKeepTheSidesButStillReduce) {
  // Both sides have "o_flag": a swap would move the suffix, so the join is reduced instead.
  auto items = Items().WithColumn("o_flag", col("l_supp"));
  auto plan = FlaggedOrders().Join(items, {"o_key"}, {"l_key"}).Collect();
  const std::string text = Explained(plan);
  EXPECT_EQ(text.find("Project o_key, o_flag"), std::string::npos) << text;
  EXPECT_NE(text.find("Join semi on l_key = o_key"), std::string::npos) << text;
  std::vector<std::string> want;
  for (int64_t o = 7; o < kOrders; o += 100) {
    for (int64_t j = 0; j < kItemsPerOrder; ++j) {
      const int64_t i = o + j * kOrders;
      const std::string supp = std::to_string(i % 13);
      want.push_back(std::to_string(o) + "|7|" + std::to_string(o) + "|" + supp + "|" + std::to_string(i) + "|" + supp);
    }
  }
  std::sort(want.begin(), want.end());
  ExpectRows(plan, want);
}

// TPC-H Q9's shape: a LIKE on a word keeps few rows, so the filtered side is the one to
// build even against an unfiltered table of the same size (a flat 0.5 guess for LIKE
// kept the 200K orders as the build side).
TEST(JoinBuildSide, SelectiveLikeFilterIsTheBuildSide) {
  auto plan = Parts()
                  .Filter(NameLike("%green%"))
                  .Join(Orders(), {"p_key"}, {"o_key"})
                  .Select({"p_key", "o_key", "o_flag"})
                  .Collect();
  const std::string text = Explained(plan);
  EXPECT_NE(text.find("Join inner on o_key = p_key"), std::string::npos) << text;
  // The orders are the probe (left) input, the green parts the build (right) one.
  EXPECT_LT(text.find("Source memory orders"), text.find("Filter match_like(p_name")) << text;
  std::vector<std::string> want;
  for (int64_t p = 3; p < kOrders; p += 20) {
    want.push_back(std::to_string(p) + "|" + std::to_string(p) + "|" + std::to_string(p % 100));
  }
  std::sort(want.begin(), want.end());
  ExpectRows(plan, want);
}

TEST(JoinBuildSide, UnselectiveNotLikeKeepsTheWrittenBuildSide) {
  // NOT LIKE '%green%' keeps 95% of the parts: the 50K items are still the smaller side.
  auto items = Items().Filter(col("l_id") < lit(int64_t{50'000}));
  auto plan = Parts().Filter(!NameLike("%green%")).Join(items, {"p_key"}, {"l_key"}).Collect();
  const std::string text = Explained(plan);
  EXPECT_EQ(text.find("Project"), std::string::npos) << text;
  EXPECT_LT(text.find("Source memory parts"), text.find("Source memory items")) << text;
}

TEST(JoinBuildSide, UnselectiveLeftIsNotReduced) {
  // All orders against their items: the left's keys would keep every item (and a residual
  // over a name both sides have keeps the sides as written).
  const JoinSpec exists = OrderHasItem(JoinType::kSemi, col("l_supp") != col("o_flag"));
  auto plan = Orders().Join(Items().WithColumn("o_flag", col("l_supp")), exists).Collect();
  const std::string text = Explained(plan);
  EXPECT_EQ(text.find("Join semi on l_key = o_key"), std::string::npos) << text;
  EXPECT_EQ(text.find("right_semi"), std::string::npos) << text;
}

}  // namespace
}  // namespace sabot
