// Semi-join reduction of build sides by a join above them (plan/optimizer/
// build_side_reduction.h): the plans the optimizer rewrites to, and the same answers as
// the plan as written defines, on one and on two threads.
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

constexpr int64_t kItems = 100'000, kOrders = 20'000, kCustomers = 2'000, kSuppliers = 500, kNations = 25;

// TPC-H Q5's shape: items -> orders -> customers, and suppliers of one nation matched on
// the item's supplier and the customer's nation.
Stream Items() { return Int64Table("items", {"l_order", "l_supp"}, kItems, {kOrders, kSuppliers}); }
Stream Orders() { return Int64Table("orders", {"o_key", "o_cust"}, kOrders, {0, kCustomers}); }
Stream Customers() { return Int64Table("customers", {"c_key", "c_nation"}, kCustomers, {0, kNations}); }
Stream NationSuppliers() {
  return Int64Table("suppliers", {"s_key", "s_nation"}, kSuppliers, {0, kNations})
      .Filter(col("s_nation") == lit(int64_t{3}));
}

// The rows of Q5's shape, computed here: item i meets its order, that order's customer
// and its supplier, kept where the customer's and the supplier's nation are 3.
std::vector<std::string> WantedRows() {
  std::vector<std::string> want;
  for (int64_t i = 0; i < kItems; ++i) {
    const int64_t order = i % kOrders, supp = i % kSuppliers, cust = order % kCustomers;
    if (cust % kNations != 3 || supp % kNations != 3) continue;
    want.push_back(std::to_string(order) + "|" + std::to_string(supp) + "|" + std::to_string(order) + "|" +
                   std::to_string(cust) + "|" + std::to_string(cust) + "|3|" + std::to_string(supp) + "|3");
  }
  std::sort(want.begin(), want.end());
  return want;
}

TEST(BuildSideReduction, EqualKeysCarryAFilterDownAChainOfBuildSides) {
  auto plan = Items()
                  .Join(Orders(), {"l_order"}, {"o_key"})
                  .Join(Customers(), {"o_cust"}, {"c_key"})
                  .Join(NationSuppliers(), {"l_supp", "c_nation"}, {"s_key", "s_nation"})
                  .Collect();
  const std::string text = Explained(plan);
  // The customers by the suppliers' nations, and the orders by those customers.
  EXPECT_NE(text.find("Join semi on c_nation = s_nation"), std::string::npos) << text;
  EXPECT_NE(text.find("Join semi on o_cust = c_key"), std::string::npos) << text;
  // The items are the probe side: the top join's key filter drops them as they come.
  EXPECT_EQ(text.find("Join semi on l_supp"), std::string::npos) << text;
  ExpectRows(plan, WantedRows());
}

TEST(BuildSideReduction, RowsAJoinKeepsUnmatchedAreNotReduced) {
  // A left join above keeps the customers whatever their nation.
  auto left = Orders()
                  .Join(Customers(), {"o_cust"}, {"c_key"})
                  .Join(NationSuppliers(), {"c_nation"}, {"s_nation"}, JoinType::kLeft)
                  .Collect();
  EXPECT_EQ(Explained(left).find("Join semi on c_nation"), std::string::npos) << Explained(left);
  // A left join below: its build rows are optional, reducing them would null more rows.
  auto optional = Orders()
                      .Join(Customers(), {"o_cust"}, {"c_key"}, JoinType::kLeft)
                      .Join(NationSuppliers(), {"c_nation"}, {"s_nation"})
                      .Aggregate({}, {{AggregateFunction::kCountAll, "", "n"}})
                      .Collect();
  EXPECT_EQ(Explained(optional).find("Join semi on c_nation"), std::string::npos) << Explained(optional);
  // Every order's customer has nation 3 one time in 25; 20 suppliers of nation 3 each.
  ExpectRows(optional, {std::to_string(kOrders / kNations * (kSuppliers / kNations))});
}

TEST(BuildSideReduction, ASubplanOthersReadTooIsNotReduced) {
  // The orders with their customers feed a count of all orders per nation as well: a
  // reduced copy for the match would compute the join twice, where it is held once.
  const Stream with_customers = Orders().Join(Customers(), {"o_cust"}, {"c_key"});
  auto matched = with_customers.Join(NationSuppliers(), {"c_nation"}, {"s_nation"})
                     .Aggregate({"c_nation"}, {{AggregateFunction::kCountAll, "", "n"}});
  auto all = with_customers.Aggregate({"c_nation"}, {{AggregateFunction::kCountAll, "", "m"}})
                 .Rename({{"c_nation", "m_nation"}});
  auto plan = matched.Join(all, {"c_nation"}, {"m_nation"}).Collect();
  EXPECT_EQ(Explained(plan).find("Join semi on c_nation = s_nation"), std::string::npos) << Explained(plan);
  // Nation 3: 800 orders, each matched by 20 suppliers.
  ExpectRows(plan, {"3|16000|3|800"});
}

}  // namespace
}  // namespace sabot
