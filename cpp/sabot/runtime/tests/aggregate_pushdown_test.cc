// A grouped aggregate over a join, its many side aggregated below the join
// (plan/optimizer/aggregate_pushdown.h): the plans, and the answers a brute-force pass
// over the rows gives (nulls, unmatched rows and repeated keys included), on one and on
// two threads.
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
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
using testing::Int64Table;
using testing::RunWith;

constexpr int64_t kOrders = 20'000;
constexpr int64_t kOrderCustomers = 1'500;  // o_cust = i % 1500
constexpr int64_t kValues = 97;             // o_val = i % 97

// Orders: o_cust = i % 1500, o_val = i % 97 (null where i % 10 == 3), o_id = i.
Stream Orders() {
  arrow::Int64Builder cust, val, id;
  for (int64_t i = 0; i < kOrders; ++i) {
    EXPECT_TRUE(cust.Append(i % kOrderCustomers).ok());
    EXPECT_TRUE((i % 10 == 3 ? val.AppendNull() : val.Append(i % kValues)).ok());
    EXPECT_TRUE(id.Append(i).ok());
  }
  auto schema = arrow::schema({arrow::field("o_cust", arrow::int64()), arrow::field("o_val", arrow::int64()),
                               arrow::field("o_id", arrow::int64())});
  return Stream::FromTable(arrow::Table::Make(schema, {*cust.Finish(), *val.Finish(), *id.Finish()}), "orders");
}

std::vector<AggregateSpec> Aggregates() {
  return {{AggregateFunction::kCount, "o_val", "n"},
          {AggregateFunction::kSum, "o_val", "s"},
          {AggregateFunction::kMin, "o_val", "lo"},
          {AggregateFunction::kMax, "o_val", "hi"}};
}

// The rows of `table` as "a|b|..." with "null" for nulls, sorted.
std::vector<std::string> Rows(const arrow::Table& table) {
  std::vector<std::string> rows(static_cast<size_t>(table.num_rows()));
  for (int c = 0; c < table.num_columns(); ++c) {
    const auto& column = static_cast<const arrow::Int64Array&>(*table.column(c)->chunk(0));
    for (int64_t i = 0; i < table.num_rows(); ++i) {
      rows[i] += (c > 0 ? "|" : "") + (column.IsNull(i) ? std::string("null") : std::to_string(column.Value(i)));
    }
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

// Per customer key (`keys`, one per customer row), over the orders it meets: count, sum,
// min, max of o_val, each customer row meeting each of its orders once. With `left`,
// keys without orders give 0|null|null|null; otherwise they are left out.
std::vector<std::string> BruteForce(const std::vector<int64_t>& keys, bool left) {
  struct Acc {
    int64_t n = 0, rows = 0;
    std::optional<int64_t> s, lo, hi;
  };
  std::map<int64_t, Acc> by_key;
  for (int64_t key : keys) {
    Acc& acc = by_key[key];
    for (int64_t i = 0; i < kOrders; ++i) {
      if (i % kOrderCustomers != key) continue;
      ++acc.rows;
      if (i % 10 == 3) continue;
      const int64_t v = i % kValues;
      ++acc.n;
      acc.s = acc.s.value_or(0) + v;
      acc.lo = std::min(acc.lo.value_or(v), v);
      acc.hi = std::max(acc.hi.value_or(v), v);
    }
  }
  auto text = [](const std::optional<int64_t>& v) { return v ? std::to_string(*v) : std::string("null"); };
  std::vector<std::string> rows;
  for (const auto& [key, acc] : by_key) {
    if (!left && acc.rows == 0) continue;
    rows.push_back(std::to_string(key) + "|" + std::to_string(acc.n) + "|" + text(acc.s) + "|" + text(acc.lo) + "|" +
                   text(acc.hi));
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

void ExpectRowsWithNulls(const PlanPtr& plan, const std::vector<std::string>& want) {
  for (int threads : {1, 2}) {
    auto got = RunWith(plan, threads);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(Rows(**got), want) << threads << " threads";
  }
}

TEST(AggregatePushdown, TheManySideIsAggregatedBelowTheJoin) {
  // Q13's shape: 2000 customers (500 without orders) left-joined to 20K orders, then
  // grouped by customer; then with each customer key on two rows.
  for (bool repeated : {false, true}) {
    SCOPED_TRACE(repeated ? "each customer key twice" : "unique customer keys");
    auto customers = repeated ? Int64Table("customers", {"c_key"}, 4000, {2000}) : Int64Table("customers", {"c_key"}, 2000, {0});
    std::vector<int64_t> keys;
    for (int64_t i = 0; i < (repeated ? 4000 : 2000); ++i) keys.push_back(i % 2000);
    for (JoinType type : {JoinType::kLeft, JoinType::kInner}) {
      auto plan = customers.Join(Orders(), {"c_key"}, {"o_cust"}, type).Aggregate({"c_key"}, Aggregates()).Collect();
      const std::string text = Explained(plan);
      const size_t partial = text.find("Aggregate by o_cust");
      ASSERT_NE(partial, std::string::npos) << text;
      EXPECT_LT(text.find("Join"), partial) << text;  // below the join
      // A customer key repeated d times meets each order d times: d times its count
      // (BruteForce walks the orders once per customer row).
      ExpectRowsWithNulls(plan, BruteForce(keys, type == JoinType::kLeft));
    }
  }
}

TEST(AggregatePushdown, OtherAggregatesAndFewManyRowsStayAbove) {
  auto customers = Int64Table("customers", {"c_key"}, 2000, {0});
  // count(*) counts a customer without orders as one row: not a count of a column.
  auto all = customers.Join(Orders(), {"c_key"}, {"o_cust"}, JoinType::kLeft)
                 .Aggregate({"c_key"}, {{AggregateFunction::kCountAll, "", "rows"}})
                 .Collect();
  EXPECT_EQ(Explained(all).find("Aggregate by o_cust"), std::string::npos) << Explained(all);
  // Grouped by an order column: not the customers' join key.
  auto by_value = customers.Join(Orders(), {"c_key"}, {"o_cust"})
                      .Aggregate({"o_val"}, {{AggregateFunction::kCount, "o_id", "n"}})
                      .Collect();
  EXPECT_EQ(Explained(by_value).find("Aggregate by o_cust"), std::string::npos) << Explained(by_value);
  // An aggregate named as the orders' join key would clash with it below the join.
  auto named_as_key = customers.Join(Orders(), {"c_key"}, {"o_cust"})
                          .Aggregate({"c_key"}, {{AggregateFunction::kCount, "o_id", "o_cust"}})
                          .Collect();
  EXPECT_EQ(Explained(named_as_key).find("Aggregate by o_cust"), std::string::npos) << Explained(named_as_key);
  // Ten orders per customer key at most (20K customers): too few to be worth it.
  auto many_customers = Int64Table("customers", {"c_key"}, 20'000, {0});
  auto few = many_customers.Join(Orders(), {"c_key"}, {"o_cust"}).Aggregate({"c_key"}, Aggregates()).Collect();
  EXPECT_EQ(Explained(few).find("Aggregate by o_cust"), std::string::npos) << Explained(few);
  std::vector<int64_t> keys;
  for (int64_t i = 0; i < 20'000; ++i) keys.push_back(i);
  ExpectRowsWithNulls(few, BruteForce(keys, /*left=*/false));
}

}  // namespace
}  // namespace sabot
