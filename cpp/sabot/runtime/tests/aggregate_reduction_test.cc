// Semi-join reduction below an aggregate (plan/optimizer/aggregate_reduction.h): the
// plans the optimizer rewrites to, and the same answers as the plan as written defines,
// on one and on two threads.
#include <algorithm>
#include <cstdint>
#include <string>
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
using testing::FlaggedOrders;
using testing::Int64Table;

constexpr int64_t kOrders = 200'000;
constexpr int64_t kItemsPerOrder = 4;

// Per order (item i belongs to order i % kOrders), its first item: g_key, first_id.
Stream FirstItems() {
  return Int64Table("items", {"l_key", "l_id"}, kOrders * kItemsPerOrder, {kOrders, 0})
      .Aggregate({"l_key"}, {{AggregateFunction::kMin, "l_id", "first_id"}})
      .Rename({{"l_key", "g_key"}});
}

// What each plan here answers: per flagged order (o % 100 == 7), the order's key, its
// flag, and its first item's group key and id (both the order's key).
std::vector<std::string> FlaggedFirstItems() {
  std::vector<std::string> want;
  for (int64_t o = 7; o < kOrders; o += 100) {
    want.push_back(std::to_string(o) + "|7|" + std::to_string(o) + "|" + std::to_string(o));
  }
  std::sort(want.begin(), want.end());
  return want;
}

TEST(AggregateReduction, AnAggregateJoinedByItsKeysGroupsOnlyRowsThatCanMatch) {
  // Q2's and Q17's shape: 200K groups of which the 2000 flagged orders meet 2000.
  auto plan = FlaggedOrders(kOrders).Join(FirstItems(), {"o_key"}, {"g_key"}).Collect();
  const std::string text = Explained(plan);
  const size_t aggregate = text.find("Aggregate by l_key");
  const size_t reducer = text.find("Join semi on l_key = o_key");
  ASSERT_NE(aggregate, std::string::npos) << text;
  EXPECT_NE(reducer, std::string::npos) << text;
  EXPECT_LT(aggregate, reducer) << text;  // below the aggregate
  ExpectRows(plan, FlaggedFirstItems());
}

TEST(AggregateReduction, KeptUnmatchedGroupsAndNonKeyColumnsAreNotReduced) {
  // A left join keeps the groups no order matches.
  auto left = FirstItems().Join(FlaggedOrders(kOrders), {"g_key"}, {"o_key"}, JoinType::kLeft).Collect();
  EXPECT_EQ(Explained(left).find("Join semi on l_key"), std::string::npos) << Explained(left);
  // first_id is an aggregate's output, not a group key.
  auto by_value = FlaggedOrders(kOrders).Join(FirstItems(), {"o_key"}, {"first_id"}).Collect();
  EXPECT_EQ(Explained(by_value).find("Join semi on l_key"), std::string::npos) << Explained(by_value);
  ExpectRows(by_value, FlaggedFirstItems());
}

TEST(AggregateReduction, TheReducingSemiJoinGoesBelowALookupInTheAggregatesInput) {
  // Q2's cheapest price: the aggregate's input looks up each item's bucket (every item
  // has one); the semi join by the flagged orders' keys tests the items' own column, so
  // it runs before the lookup, which then finds buckets for 8K items, not 800K.
  auto buckets = Int64Table("buckets", {"b_key", "b_weight"}, 1000, {0, 7});
  auto items = Int64Table("items", {"l_key", "l_id", "l_bucket"}, kOrders * kItemsPerOrder, {kOrders, 0, 1000});
  auto first = items.Join(buckets, {"l_bucket"}, {"b_key"})
                   .Aggregate({"l_key"}, {{AggregateFunction::kMin, "l_id", "first_id"}})
                   .Rename({{"l_key", "g_key"}});
  auto plan = FlaggedOrders(kOrders).Join(first, {"o_key"}, {"g_key"}).Collect();
  const std::string text = Explained(plan);
  const size_t lookup = text.find("Join inner on l_bucket = b_key");
  const size_t reducer = text.find("Join semi on l_key = o_key");
  ASSERT_NE(lookup, std::string::npos) << text;
  ASSERT_NE(reducer, std::string::npos) << text;
  EXPECT_LT(lookup, reducer) << text;  // the lookup above
  ExpectRows(plan, FlaggedFirstItems());
}

}  // namespace
}  // namespace sabot
