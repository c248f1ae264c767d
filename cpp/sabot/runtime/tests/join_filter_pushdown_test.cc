// Filter pushdown into joins (plan/optimizer/join_filter_pushdown.h): which tests land on
// which input, and that the rewritten plan gives the rows the plan as written defines,
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

constexpr int64_t kParts = 20'000;
constexpr int64_t kItems = 100'000;

// parts: p_key = i, p_brand = i % 25, p_size = i % 50.
Stream Parts() {
  arrow::Int64Builder key, brand, size;
  for (int64_t i = 0; i < kParts; ++i) {
    EXPECT_TRUE(key.Append(i).ok() && brand.Append(i % 25).ok() && size.Append(i % 50).ok());
  }
  auto schema = arrow::schema({arrow::field("p_key", arrow::int64()), arrow::field("p_brand", arrow::int64()),
                               arrow::field("p_size", arrow::int64())});
  return Stream::FromTable(arrow::Table::Make(schema, {*key.Finish(), *brand.Finish(), *size.Finish()}), "parts");
}

// items: l_part = (i * 7) % kParts, l_qty = i % 40.
Stream Items() {
  arrow::Int64Builder part, qty;
  for (int64_t i = 0; i < kItems; ++i) EXPECT_TRUE(part.Append((i * 7) % kParts).ok() && qty.Append(i % 40).ok());
  auto schema = arrow::schema({arrow::field("l_part", arrow::int64()), arrow::field("l_qty", arrow::int64())});
  return Stream::FromTable(arrow::Table::Make(schema, {*part.Finish(), *qty.Finish()}), "items");
}

Expr Eq(const std::string& c, int64_t v) { return col(c) == lit(v); }
Expr Lt(const std::string& c, int64_t v) { return col(c) < lit(v); }

// The rows of items join parts where `keep(item, part)` holds: l_part, l_qty, p_key, p_brand, p_size.
// Sorted.
template <typename Keep>
std::vector<std::string> Expected(Keep keep) {
  std::vector<std::string> rows;
  for (int64_t i = 0; i < kItems; ++i) {
    const int64_t p = (i * 7) % kParts, qty = i % 40;
    if (keep(qty, p % 25, p % 50)) {
      rows.push_back(std::to_string(p) + "|" + std::to_string(qty) + "|" + std::to_string(p) + "|" +
                     std::to_string(p % 25) + "|" + std::to_string(p % 50));
    }
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

TEST(JoinFilterPushdown, OneSidedConjunctsMoveToTheirInput) {
  auto plan = Items()
                  .Join(Parts(), {"l_part"}, {"p_key"})
                  .Filter(Eq("p_brand", 3) && Lt("l_qty", 5) && (col("l_qty") < col("p_size")))
                  .Collect();
  const std::string text = Explained(plan);
  EXPECT_NE(text.find("Filter (p_brand == 3)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Filter (l_qty < 5)\n"), std::string::npos) << text;
  // The test of both sides stays above the join.
  EXPECT_LT(text.find("Filter (l_qty < p_size)"), text.find("Join inner")) << text;
  ExpectRows(plan, Expected([](int64_t qty, int64_t brand, int64_t size) { return brand == 3 && qty < 5 && qty < size; }));
}

TEST(JoinFilterPushdown, OrOfAndsAddsWhatEachInputMustPass) {
  // TPC-H Q19's shape: each AND tests both inputs.
  auto either = (Eq("p_brand", 1) && Lt("p_size", 5) && Lt("l_qty", 10)) ||
                (Eq("p_brand", 2) && (col("l_qty") >= lit(int64_t{20})) && Lt("l_qty", 30));
  auto plan = Items().Join(Parts(), {"l_part"}, {"p_key"}).Filter(either).Collect();
  const std::string text = Explained(plan);
  EXPECT_NE(text.find("Filter (((p_brand == 1) and (p_size < 5)) or (p_brand == 2))\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Filter ((l_qty < 10) or ((l_qty >= 20) and (l_qty < 30)))\n"), std::string::npos) << text;
  // The OR itself still runs over the join.
  EXPECT_LT(text.find("Filter ((((p_brand == 1)"), text.find("Join inner")) << text;
  ExpectRows(plan, Expected([](int64_t qty, int64_t brand, int64_t size) {
               return (brand == 1 && size < 5 && qty < 10) || (brand == 2 && qty >= 20 && qty < 30);
             }));
}

TEST(JoinFilterPushdown, LeftJoinKeepsRightTestsAbove) {
  // A right-side test over a left join also removes the null-extended rows: it stays.
  auto plan = Items().Join(Parts(), {"l_part"}, {"p_key"}, JoinType::kLeft).Filter(Eq("p_brand", 3) && Lt("l_qty", 5)).Collect();
  const std::string text = Explained(plan);
  EXPECT_NE(text.find("Filter (l_qty < 5)\n"), std::string::npos) << text;
  EXPECT_LT(text.find("Filter (p_brand == 3)"), text.find("Join left")) << text;
  ExpectRows(plan, Expected([](int64_t qty, int64_t brand, int64_t) { return brand == 3 && qty < 5; }));
}

}  // namespace
}  // namespace sabot
