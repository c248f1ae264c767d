// A reducing join (inner, semi, anti) over a lookup join runs below it
// (plan/optimizer/lookup_join_order.h):
// the plan, and the answers of the plan as written, on one and on two threads.
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
using testing::Int64Table;
using testing::RunWith;

constexpr int64_t kCustomers = 40'000;
constexpr int64_t kOrders = 4 * kCustomers;

// customers: c_key = i, c_nation = i % 25; nations: n_key = i, n_region = i % 5;
// orders: o_cust = i % kCustomers, o_flag = i % 100, o_id = i.
Stream Customers() { return Int64Table("customers", {"c_key", "c_nation"}, kCustomers, {0, 25}); }
Stream Nations() { return Int64Table("nations", {"n_key", "n_region"}, 25, {0, 5}); }
Stream Orders() { return Int64Table("orders", {"o_cust", "o_flag", "o_id"}, kOrders, {kCustomers, 100, 0}); }

// Where the customer-order join is in `text`, whichever side it builds on.
size_t OrderJoin(const std::string& text) {
  return std::min(text.find("Join inner on c_key = o_cust"), text.find("Join inner on o_cust = c_key"));
}

TEST(LookupJoinOrder, AReducingJoinRunsBeforeTheLookup) {
  // Q10's shape: every customer gets its nation, then 1% of the orders pick customers.
  auto plan = Customers()
                  .Join(Nations(), {"c_nation"}, {"n_key"})
                  .Join(Orders().Filter(col("o_flag") == lit(int64_t{7})), {"c_key"}, {"o_cust"})
                  .Collect();
  const std::string text = Explained(plan);
  const size_t lookup = text.find("Join inner on c_nation = n_key");
  const size_t reducing = OrderJoin(text);
  ASSERT_NE(lookup, std::string::npos) << text;
  ASSERT_NE(reducing, std::string::npos) << text;
  EXPECT_LT(lookup, reducing) << text;  // the lookup above
  // Columns in the order written: customer, nation, order.
  std::vector<std::string> want;
  for (int64_t i = 0; i < kOrders; ++i) {
    if (i % 100 != 7) continue;
    const int64_t c = i % kCustomers, n = c % 25;
    want.push_back(std::to_string(c) + "|" + std::to_string(n) + "|" + std::to_string(n) + "|" +
                   std::to_string(n % 5) + "|" + std::to_string(c) + "|7|" + std::to_string(i));
  }
  std::sort(want.begin(), want.end());
  ExpectRows(plan, want);
}

TEST(LookupJoinOrder, ReducingLookupsKeysOfTheLookedUpSideAndClashingNamesStay) {
  auto orders = Orders().Filter(col("o_flag") == lit(int64_t{7}));
  // The lookup itself keeps 1 nation in 25: more selective than the order join.
  auto selective = Customers()
                       .Join(Nations().Filter(col("n_key") == lit(int64_t{3})), {"c_nation"}, {"n_key"})
                       .Join(orders, {"c_key"}, {"o_cust"})
                       .Collect();
  const std::string kept = Explained(selective);
  EXPECT_LT(OrderJoin(kept), kept.find("Join inner on c_nation = n_key")) << kept;
  // The outer join's key is the looked-up side's column: it cannot go below the lookup.
  auto by_region = Customers()
                       .Join(Nations(), {"c_nation"}, {"n_key"})
                       .Join(orders, {"n_region"}, {"o_flag"})
                       .Collect();
  const std::string region = Explained(by_region);
  EXPECT_LT(region.find("Join inner on n_region = o_flag"), region.find("Join inner on c_nation = n_key")) << region;
  // A name on two sides (c_nation in the orders too): left as written.
  auto clashing = Customers()
                      .Join(Nations(), {"c_nation"}, {"n_key"})
                      .Join(orders.WithColumn("c_nation", lit(int64_t{0})), {"c_key"}, {"o_cust"})
                      .Collect();
  const std::string clash = Explained(clashing);
  EXPECT_LT(OrderJoin(clash), clash.find("Join inner on c_nation = n_key")) << clash;
  auto rows = RunWith(clashing, 2);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ((*rows)->num_rows(), kOrders / 100);
}

TEST(LookupJoinOrder, ASharedLookupIsComputedAnewWhereTheReducingJoinKeepsASliver) {
  // Q2's shape: every customer with its nation feeds a count per nation as well, and a
  // join with one order in 100 (two equalities: an estimate of 1%, below 1/64). Held, the lookup's
  // 40K rows would be gathered in full; computed anew below the order join, 1,600.
  const Stream offers = Int64Table("offers", {"o_cust", "o_a", "o_b"}, kOrders, {kCustomers, 10, 100});
  const Stream with_nation = Customers().Join(Nations(), {"c_nation"}, {"n_key"});
  auto per_nation = with_nation.Aggregate({"c_nation"}, {{AggregateFunction::kCountAll, "", "m"}})
                        .Rename({{"c_nation", "m_nation"}});
  auto plan = with_nation.Join(offers.Filter((col("o_a") == lit(int64_t{7})) && (col("o_b") == lit(int64_t{7}))),
                               {"c_key"}, {"o_cust"})
                  .Join(per_nation, {"c_nation"}, {"m_nation"})
                  .Collect();
  const std::string text = Explained(plan);
  EXPECT_LT(text.find("Join inner on c_nation = n_key"), OrderJoin(text)) << text;  // the lookup above
  std::vector<std::string> want;
  for (int64_t i = 0; i < kOrders; ++i) {
    if (i % 100 != 7) continue;
    const int64_t c = i % kCustomers, n = c % 25;
    want.push_back(std::to_string(c) + "|" + std::to_string(n) + "|" + std::to_string(n) + "|" +
                   std::to_string(n % 5) + "|" + std::to_string(c) + "|7|7|" + std::to_string(n) + "|" +
                   std::to_string(kCustomers / 25));
  }
  std::sort(want.begin(), want.end());
  ExpectRows(plan, want);
  // One equality (an estimate of 10%, the same rows) is no sliver: the lookup is held
  // for both readers and the order join stays above it.
  auto wider = with_nation.Join(offers.Filter(col("o_b") == lit(int64_t{7})), {"c_key"}, {"o_cust"})
                   .Join(per_nation, {"c_nation"}, {"m_nation"})
                   .Collect();
  const std::string held = Explained(wider);
  EXPECT_LT(OrderJoin(held), held.find("Join inner on c_nation = n_key")) << held;
  ExpectRows(wider, want);
}

TEST(LookupJoinOrder, ASemiOrAntiJoinRunsBeforeTheLookup) {
  // Q2's cheapest-price branch: offers, each with its supplier, semi-joined by a few
  // parts. The semi join tests the customers' own column: it goes first, and the lookup
  // runs for the 400 customers it keeps, not for all 40K.
  auto expect_below = [](const PlanPtr& plan, const std::string& filtering) {
    const std::string text = Explained(plan);
    const size_t lookup = text.find("Join inner on c_nation = n_key");
    ASSERT_NE(lookup, std::string::npos) << text;
    ASSERT_NE(text.find(filtering), std::string::npos) << text;
    EXPECT_LT(lookup, text.find(filtering)) << text;  // the lookup above
  };
  std::vector<std::string> want;  // customers with an order i % 100 == 7: c % 100 == 7
  for (int64_t c = 7; c < kCustomers; c += 100) {
    const int64_t n = c % 25;
    want.push_back(std::to_string(c) + "|" + std::to_string(n) + "|" + std::to_string(n) + "|" + std::to_string(n % 5));
  }
  std::sort(want.begin(), want.end());
  const Stream with_nation = Customers().Join(Nations(), {"c_nation"}, {"n_key"});
  auto semi = with_nation.Join(Orders().Filter(col("o_flag") == lit(int64_t{7})), {"c_key"}, {"o_cust"}, JoinType::kSemi)
                  .Collect();
  expect_below(semi, "Join semi on c_key = o_cust");
  ExpectRows(semi, want);
  // The anti join keeps the customers without an order flagged otherwise (as rare).
  auto anti = with_nation
                  .Join(Orders().Filter(col("o_flag") != lit(int64_t{7})), {"c_key"}, {"o_cust"}, JoinType::kAnti)
                  .Collect();
  expect_below(anti, "Join anti on c_key = o_cust");
  ExpectRows(anti, want);
  // A residual may read the lookup's columns: left as written.
  JoinSpec with_residual;
  with_residual.type = JoinType::kSemi;
  with_residual.left_keys = {"c_key"};
  with_residual.right_keys = {"o_cust"};
  with_residual.residual = col("n_region") < col("o_flag");
  auto residual = with_nation.Join(Orders().Filter(col("o_flag") == lit(int64_t{7})), with_residual).Collect();
  const std::string text = Explained(residual);
  EXPECT_GT(text.find("Join inner on c_nation = n_key"), text.find("Join semi on c_key = o_cust")) << text;
  ExpectRows(residual, want);
}

}  // namespace
}  // namespace sabot
