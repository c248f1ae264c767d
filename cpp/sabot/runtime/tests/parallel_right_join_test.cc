// Right, full, right semi and right anti joins in parallel plans: every worker probes the shared table and marks
// the build rows it matched; one chain emits the rows no worker matched at the end. The
// result must equal the single-threaded join's exactly, in the same order, on 2 and 8
// threads, through an aggregate or a sort above the join too.
#include <algorithm>
#include <cstdint>
#include <set>
#include <vector>
#include <string>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/plan/stream.h"
#include "sabot/runtime/physical_planner.h"
#include "sabot/runtime/run.h"
#include "sabot/runtime/tests/run_with_threads.h"

namespace sabot {
namespace {

using F = AggregateFunction;
using testing::ExpectSameAsOneThread;
using testing::RunWith;

constexpr JoinType kKeepsUnmatchedRight[] = {JoinType::kRight, JoinType::kFull};

// A table of two int64 columns: row i holds (key(i), i), key null where key(i) < 0.
template <typename Key>
std::shared_ptr<arrow::Table> KeyedRows(const std::string& key_name, const std::string& value_name, int64_t rows,
                                        Key key) {
  arrow::Int64Builder keys, values;
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t k = key(i);
    EXPECT_TRUE((k < 0 ? keys.AppendNull() : keys.Append(k)).ok());
    EXPECT_TRUE(values.Append(i).ok());
  }
  auto schema = arrow::schema({arrow::field(key_name, arrow::int64()), arrow::field(value_name, arrow::int64())});
  return arrow::Table::Make(schema, {*keys.Finish(), *values.Finish()});
}

// Probe rows: 300K (several splits), k = i % 35000, every 11th key null.
Stream Probe() {
  return Stream::FromTable(KeyedRows("k", "v", 300'000, [](int64_t i) { return i % 11 == 0 ? -1 : i % 35'000; }),
                           "probe");
}

// Build rows: 100K (a parallel table insert), id = j % 50000, so each id twice and ids from
// 35000 up match nothing; every 13th key null (never matches either).
Stream Build() {
  return Stream::FromTable(KeyedRows("id", "w", 100'000, [](int64_t j) { return j % 13 == 0 ? -1 : j % 50'000; }),
                           "build");
}

// The join probes on worker threads (not the single-threaded pipeline).
void ExpectOneParallelJoin(const PlanPtr& plan) {
  auto shape = FindParallelShape(*plan->input());
  ASSERT_TRUE(shape.has_value());
  EXPECT_EQ(shape->joins.size(), 1u);
  RunOptions options;
  options.threads = 2;
  auto result = RunPlan(*plan, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->stats.threads, 2);
}

TEST(ParallelRightJoin, NullAndDuplicateKeysAndUnmatchedBuildRows) {
  for (JoinType type : kKeepsUnmatchedRight) {
    SCOPED_TRACE(std::string(ToString(type)));
    auto plan = Probe().Join(Build(), {"k"}, {"id"}, type).Collect();
    ExpectOneParallelJoin(plan);
    ExpectSameAsOneThread(plan, 500'000);
  }
}

TEST(ParallelRightJoin, PairsTheResidualRejectsLeaveBuildRowsUnmatched) {
  JoinSpec spec;
  spec.left_keys = {"k"};
  spec.right_keys = {"id"};
  spec.residual = Expr::Call("bit_wise_and", {col("v") + col("w"), lit(int64_t{3})}) == lit(int64_t{0});
  for (JoinType type : kKeepsUnmatchedRight) {
    SCOPED_TRACE(std::string(ToString(type)));
    spec.type = type;
    ExpectSameAsOneThread(Probe().Join(Build(), spec).Collect(), 50'000);
  }
}

TEST(ParallelRightJoin, EmptyProbeSideEmitsEveryBuildRowOnce) {
  for (JoinType type : kKeepsUnmatchedRight) {
    SCOPED_TRACE(std::string(ToString(type)));
    auto plan = Probe().Filter(col("v") < lit(int64_t{0})).Join(Build(), {"k"}, {"id"}, type).Collect();
    ExpectOneParallelJoin(plan);
    ExpectSameAsOneThread(plan, 100'000);
    auto eight = RunWith(plan, 8);
    ASSERT_TRUE(eight.ok()) << eight.status().ToString();
    EXPECT_EQ((*eight)->num_rows(), 100'000);
  }
}

TEST(ParallelRightJoin, EmptyBuildSide) {
  for (JoinType type : kKeepsUnmatchedRight) {
    SCOPED_TRACE(std::string(ToString(type)));
    auto plan = Probe().Join(Build().Filter(col("w") < lit(int64_t{0})), {"k"}, {"id"}, type).Collect();
    ExpectOneParallelJoin(plan);
    ExpectSameAsOneThread(plan, type == JoinType::kFull ? 300'000 : 0);
  }
}

// TPC-H Q13's shape once its build side is the small input: the unmatched build rows go
// through the operators above the join into the aggregate's last partial state.
TEST(ParallelRightJoin, BelowAnAggregate) {
  for (JoinType type : kKeepsUnmatchedRight) {
    SCOPED_TRACE(std::string(ToString(type)));
    auto plan = Probe()
                    .Join(Build(), {"k"}, {"id"}, type)
                    .Filter(IsNull(col("w")) || col("w") != lit(int64_t{5}))
                    .Aggregate({"id"}, {{F::kCount, "v", "n"}, {F::kCountAll, "", "rows"}, {F::kFirst, "w", "w"}})
                    .Sort({{"id", true, false}})
                    .Collect();
    auto shape = FindParallelShape(*plan->input());
    ASSERT_TRUE(shape.has_value());
    EXPECT_NE(shape->aggregate, nullptr);
    ExpectSameAsOneThread(plan, 40'000);
  }
}

TEST(ParallelRightJoin, BelowASortAndBelowAnotherJoin) {
  auto names = Stream::FromTable(KeyedRows("wk", "label", 7, [](int64_t i) { return i; }), "names");
  for (JoinType type : kKeepsUnmatchedRight) {
    SCOPED_TRACE(std::string(ToString(type)));
    auto plan = Probe()
                    .Join(Build(), {"k"}, {"id"}, type)
                    .WithColumn("wk", Expr::Call("bit_wise_and", {col("w"), lit(int64_t{7})}))
                    .Join(names, {"wk"}, {"wk"}, JoinType::kLeft)
                    .Sort({{"w", true, false}, {"v", true, false}})
                    .Collect();
    auto shape = FindParallelShape(*plan->input());
    ASSERT_TRUE(shape.has_value());
    EXPECT_EQ(shape->joins.size(), 2u);
    EXPECT_NE(shape->sort, nullptr);
    ExpectSameAsOneThread(plan, 500'000);
  }
}

// Right semi and right anti joins: the copies only mark build rows; one emits the matched
// (semi) or unmatched (anti) ones at the end, each once, as the one-thread join does.
TEST(ParallelRightJoin, RightSemiAndRightAntiEmitEachBuildRowOnce) {
  std::set<int64_t> probe_keys;
  for (int64_t i = 0; i < 300'000; ++i) {
    if (i % 11 != 0) probe_keys.insert(i % 35'000);
  }
  for (JoinType type : {JoinType::kRightSemi, JoinType::kRightAnti}) {
    SCOPED_TRACE(std::string(ToString(type)));
    std::vector<std::string> want;  // id|w of the rows with an id
    int64_t want_null_ids = 0;
    for (int64_t j = 0; j < 100'000; ++j) {
      const bool matched = j % 13 != 0 && probe_keys.count(j % 50'000) > 0;
      if (matched != (type == JoinType::kRightSemi)) continue;
      if (j % 13 == 0) {
        ++want_null_ids;
      } else {
        want.push_back(std::to_string(j % 50'000) + "|" + std::to_string(j));
      }
    }
    std::sort(want.begin(), want.end());
    auto plan = Probe().Join(Build(), {"k"}, {"id"}, type).Collect();
    ExpectOneParallelJoin(plan);
    ExpectSameAsOneThread(plan, 20'000);
    auto got = RunWith(plan, 8);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_EQ((*got)->schema()->field_names(), (std::vector<std::string>{"id", "w"}));
    const auto& ids = static_cast<const arrow::Int64Array&>(*(*got)->column(0)->chunk(0));
    const auto& ws = static_cast<const arrow::Int64Array&>(*(*got)->column(1)->chunk(0));
    std::vector<std::string> rows;
    for (int64_t i = 0; i < ids.length(); ++i) {
      if (ids.IsValid(i)) rows.push_back(std::to_string(ids.Value(i)) + "|" + std::to_string(ws.Value(i)));
    }
    std::sort(rows.begin(), rows.end());
    EXPECT_EQ(rows, want);
    EXPECT_EQ(ids.null_count(), want_null_ids);
  }
}

}  // namespace
}  // namespace sabot
