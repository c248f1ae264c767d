// A semi or anti join under a more selective inner join runs after it
// (plan/optimizer/filtering_join_order.h): the plan, and the answers of the plan as
// written, on one and on two threads.
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

constexpr int64_t kOrders = 50'000;
constexpr int64_t kItems = 4 * kOrders;

// items: l_key = i % kOrders, l_supp = i % 13, l_id = i; orders: o_key = i, o_flag = i % 100.
Stream Items() { return Int64Table("items", {"l_key", "l_supp", "l_id"}, kItems, {kOrders, 13, 0}); }
Stream FlaggedOrders() { return testing::FlaggedOrders(kOrders); }
Stream Complaints() {
  return Int64Table("suppliers", {"s_key"}, 13, {0}).Filter(col("s_key") == lit(int64_t{5}));
}

TEST(FilteringJoinOrder, AnAntiJoinRunsAfterTheMoreSelectiveInnerJoin) {
  // Q16's shape: all items tested against one supplier, then 1% of them joined.
  auto plan = Items()
                  .Join(Complaints(), {"l_supp"}, {"s_key"}, JoinType::kAnti)
                  .Join(FlaggedOrders(), {"l_key"}, {"o_key"})
                  .Collect();
  const std::string text = Explained(plan);
  const size_t anti = text.find("Join anti on l_supp = s_key");
  const size_t inner = text.find("Join inner on l_key = o_key");
  ASSERT_NE(anti, std::string::npos) << text;
  ASSERT_NE(inner, std::string::npos) << text;
  EXPECT_LT(anti, inner) << text;  // the anti join above
  std::vector<std::string> want;
  for (int64_t i = 0; i < kItems; ++i) {
    const int64_t order = i % kOrders;
    if (i % 13 == 5 || order % 100 != 7) continue;
    want.push_back(std::to_string(order) + "|" + std::to_string(i % 13) + "|" + std::to_string(i) + "|" +
                   std::to_string(order) + "|7");
  }
  std::sort(want.begin(), want.end());
  ExpectRows(plan, want);
}

TEST(FilteringJoinOrder, ResidualsAndLessSelectiveInnerJoinsStay) {
  JoinSpec residual;
  residual.type = JoinType::kSemi;
  residual.left_keys = {"l_supp"};
  residual.right_keys = {"s_key"};
  residual.residual = col("l_id") != col("s_key");
  auto with_residual = Items().Join(Complaints(), residual).Join(FlaggedOrders(), {"l_key"}, {"o_key"}).Collect();
  const std::string text = Explained(with_residual);
  EXPECT_LT(text.find("Join inner"), text.find("Join semi")) << text;
  // Every order kept: the inner join filters nothing, the anti join stays first.
  auto all_orders = Int64Table("orders", {"o_key", "o_flag"}, kOrders, {0, 100});
  auto plain = Items()
                   .Join(Complaints(), {"l_supp"}, {"s_key"}, JoinType::kAnti)
                   .Join(all_orders, {"l_key"}, {"o_key"})
                   .Collect();
  const std::string kept = Explained(plain);
  EXPECT_LT(kept.find("Join inner"), kept.find("Join anti")) << kept;
  // An anti join another node reads as well (Q17's shape) is computed once, where it is.
  auto shared = Items().Join(Complaints(), {"l_supp"}, {"s_key"}, JoinType::kAnti);
  auto all_count = shared.Aggregate({}, {{AggregateFunction::kCountAll, "", "n"}});
  auto joined = shared.Join(FlaggedOrders(), {"l_key"}, {"o_key"})
                    .Aggregate({}, {{AggregateFunction::kCountAll, "", "joined"}})
                    .WithColumn("one", lit(int64_t{1}))
                    .Join(all_count.WithColumn("one", lit(int64_t{1})), {"one"}, {"one"})
                    .Collect();
  const std::string once = Explained(joined);
  EXPECT_LT(once.find("Join inner on l_key = o_key"), once.find("Join anti")) << once;
}

}  // namespace
}  // namespace sabot
