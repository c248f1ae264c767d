// GroupedTopK: the best k rows per group equal a stable sort of each group cut at k, across
// batches and compactions; nulls form one group; watermarks are held back; errors name the fault.
#include <algorithm>
#include <map>
#include <random>
#include <tuple>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/ops/grouped_top_k.h"
#include "sabot/ops/tests/test_util.h"

namespace sabot {
namespace {

using testing::BatchFromJson;
using testing::RecordingOperator;

std::unique_ptr<RecordingOperator> RunAll(Operator& op, const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches) {
  auto out = std::make_unique<RecordingOperator>(op.output_schema());
  op.ConnectTo(out.get(), 0);
  for (const auto& batch : batches) {
    EXPECT_TRUE(op.Push(0, Message::Batch(batch)).ok());
    EXPECT_TRUE(op.Push(0, Message::Watermark(1)).ok());
  }
  EXPECT_TRUE(op.Push(0, Message::EndOfStream()).ok());
  return out;
}

std::unique_ptr<Operator> Make(const std::shared_ptr<arrow::Schema>& schema, const std::vector<std::string>& per,
                               const std::vector<SortKey>& keys, int64_t k) {
  auto op = MakeGroupedTopK(schema, per, keys, k);
  EXPECT_TRUE(op.ok()) << op.status().ToString();
  return std::move(op).ValueOrDie();
}

// (group or -1 for null, id) of every output row, in output order.
std::vector<std::pair<int64_t, int64_t>> GroupsAndIds(const RecordingOperator& out) {
  auto table = out.Table()->CombineChunks().ValueOrDie();
  std::vector<std::pair<int64_t, int64_t>> rows;
  if (table->num_rows() == 0) return rows;
  auto g = std::static_pointer_cast<arrow::Int64Array>(table->GetColumnByName("g")->chunk(0));
  auto id = std::static_pointer_cast<arrow::Int64Array>(table->GetColumnByName("id")->chunk(0));
  for (int64_t i = 0; i < table->num_rows(); ++i) rows.emplace_back(g->IsNull(i) ? -1 : g->Value(i), id->Value(i));
  return rows;
}

TEST(GroupedTopK, BestRowsPerGroupWithTiesInInputOrderAndNullsAsOneGroup) {
  auto schema = arrow::schema({arrow::field("g", arrow::int64()), arrow::field("v", arrow::int64()),
                               arrow::field("id", arrow::int64())});
  auto first = BatchFromJson(schema, R"([{"g": 1, "v": 5, "id": 1}, {"g": 2, "v": 7, "id": 2},
                                         {"g": 1, "v": 9, "id": 3}, {"g": null, "v": 1, "id": 4}])");
  auto second = BatchFromJson(schema, R"([{"g": 1, "v": 9, "id": 5}, {"g": 2, "v": 8, "id": 6},
                                          {"g": null, "v": 2, "id": 7}, {"g": 1, "v": 1, "id": 8}])");
  auto op = Make(schema, {"g"}, {{"v", /*ascending=*/false}}, 2);
  auto out = RunAll(*op, {first, second});
  // Groups in order of first appearance; within one, v descending, ties (id 3, 5) in input order.
  std::vector<std::pair<int64_t, int64_t>> want = {{1, 3}, {1, 5}, {2, 6}, {2, 2}, {-1, 7}, {-1, 4}};
  EXPECT_EQ(GroupsAndIds(*out), want);
  EXPECT_EQ(out->Controls(), std::vector<std::string>{"EndOfStream"});  // watermarks held back
}

TEST(GroupedTopK, EqualsStableSortPerGroupOnRandomDataAcrossCompactions) {
  auto schema = arrow::schema({arrow::field("g", arrow::int64()), arrow::field("v", arrow::int64()),
                               arrow::field("id", arrow::int64())});
  std::mt19937_64 rng(42);
  constexpr int64_t kRows = 300'000, kBatch = 10'000, kGroups = 2'000, kK = 3;
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  std::map<int64_t, std::vector<std::tuple<int64_t, int64_t>>> by_group;  // g -> (v, id) in input order
  std::vector<int64_t> first_seen;
  for (int64_t start = 0; start < kRows; start += kBatch) {
    arrow::Int64Builder g, v, id;
    for (int64_t i = start; i < start + kBatch; ++i) {
      const auto group = static_cast<int64_t>(rng() % kGroups);
      const auto value = static_cast<int64_t>(rng() % 50);
      ASSERT_TRUE(g.Append(group).ok() && v.Append(value).ok() && id.Append(i).ok());
      if (by_group[group].empty()) first_seen.push_back(group);
      by_group[group].emplace_back(value, i);
    }
    batches.push_back(arrow::RecordBatch::Make(schema, kBatch, {*g.Finish(), *v.Finish(), *id.Finish()}));
  }
  std::vector<std::pair<int64_t, int64_t>> want;
  for (int64_t group : first_seen) {
    auto rows = by_group[group];
    std::stable_sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return std::get<0>(a) < std::get<0>(b); });
    for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(kK); ++i) want.emplace_back(group, std::get<1>(rows[i]));
  }
  auto op = Make(schema, {"g"}, {{"v"}}, kK);
  auto out = RunAll(*op, batches);
  auto got = GroupsAndIds(*out);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i], want[i]) << "row " << i;
  }
  EXPECT_LE(op->state_rows(), kGroups * kK);  // after the final compaction only the best are held
}

TEST(GroupedTopK, WithTiesKeepsEveryRowEqualToTheKth) {
  auto schema = arrow::schema({arrow::field("g", arrow::int64()), arrow::field("v", arrow::int64()),
                               arrow::field("id", arrow::int64())});
  auto batch = BatchFromJson(schema, R"([{"g": 1, "v": 9, "id": 1}, {"g": 1, "v": 7, "id": 2},
                                         {"g": 2, "v": 3, "id": 3}, {"g": 1, "v": 9, "id": 4},
                                         {"g": 2, "v": 4, "id": 5}, {"g": 1, "v": 9, "id": 6}])");
  auto op = MakeGroupedTopK(schema, {"g"}, {{"v", /*ascending=*/false}}, 1, /*with_ties=*/true);
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  auto out = RunAll(**op, {batch});
  std::vector<std::pair<int64_t, int64_t>> want = {{1, 1}, {1, 4}, {1, 6}, {2, 5}};
  EXPECT_EQ(GroupsAndIds(*out), want);
}

TEST(GroupedTopK, ErrorsNameTheFault) {
  auto schema = arrow::schema({arrow::field("g", arrow::int64()), arrow::field("v", arrow::int64())});
  EXPECT_EQ(MakeGroupedTopK(schema, {"g"}, {{"v"}}, 0).status().message(), "top-k per group needs k >= 1, got 0");
  auto unknown = MakeGroupedTopK(schema, {"h"}, {{"v"}}, 1);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown group column 'h'"), std::string::npos);
}

}  // namespace
}  // namespace sabot
