// Distinct: first-occurrence order, NULLs and float values grouped as DuckDB does,
// incremental emission, merging partial sets.
#include <random>
#include <set>
#include <tuple>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/ops/distinct.h"
#include "sabot/ops/tests/test_util.h"

namespace sabot {
namespace {

using testing::BatchFromJson;
using testing::RecordingOperator;
using testing::TableFromJson;

std::shared_ptr<arrow::Schema> Schema() {
  return arrow::schema({arrow::field("a", arrow::int64()), arrow::field("s", arrow::utf8()),
                        arrow::field("x", arrow::float64())});
}

std::unique_ptr<Operator> Distinct(const std::shared_ptr<arrow::Schema>& schema, const std::vector<std::string>& columns) {
  auto op = MakeDistinct(schema, columns);
  EXPECT_TRUE(op.ok()) << op.status().ToString();
  return std::move(op).ValueOrDie();
}

TEST(Distinct, MultiColumnWithNullsInFirstOccurrenceOrder) {
  auto op = Distinct(Schema(), {"s", "a"});
  auto out_schema = arrow::schema({arrow::field("s", arrow::utf8()), arrow::field("a", arrow::int64())});
  EXPECT_TRUE(op->output_schema()->Equals(*out_schema));
  RecordingOperator out(out_schema);
  op->ConnectTo(&out, 0);
  ASSERT_TRUE(op->Push(0, Message::Batch(BatchFromJson(Schema(), R"([
      {"a": 1, "s": "x", "x": 1}, {"a": null, "s": "x", "x": 2}, {"a": 1, "s": "x", "x": 3},
      {"a": null, "s": null, "x": 4}, {"a": null, "s": "x", "x": 5}, {"a": null, "s": null, "x": 6},
      {"a": 2, "s": null, "x": 7}])"))).ok());
  ASSERT_TRUE(op->Push(0, Message::EndOfStream()).ok());
  EXPECT_TABLE_EQ(out.Table(), TableFromJson(out_schema, R"([{"s": "x", "a": 1}, {"s": "x", "a": null},
                                                              {"s": null, "a": null}, {"s": null, "a": 2}])"));
  EXPECT_EQ(out.Controls(), (std::vector<std::string>{"EndOfStream"}));
}

TEST(Distinct, EmitsNewRowsBatchByBatch) {
  auto schema = arrow::schema({arrow::field("a", arrow::int64())});
  auto op = Distinct(schema, {});
  RecordingOperator out(schema);
  op->ConnectTo(&out, 0);
  ASSERT_TRUE(op->Push(0, Message::Batch(BatchFromJson(schema, R"([{"a": 3}, {"a": 1}, {"a": 3}])"))).ok());
  ASSERT_EQ(out.messages.size(), 1u);
  EXPECT_TRUE(out.messages[0].batch()->Equals(*BatchFromJson(schema, R"([{"a": 3}, {"a": 1}])")));
  ASSERT_TRUE(op->Push(0, Message::Watermark(5)).ok());
  // Nothing new: nothing emitted.
  ASSERT_TRUE(op->Push(0, Message::Batch(BatchFromJson(schema, R"([{"a": 1}, {"a": 3}])"))).ok());
  ASSERT_EQ(out.messages.size(), 2u);
  ASSERT_TRUE(op->Push(0, Message::Batch(BatchFromJson(schema, R"([{"a": 1}, {"a": null}, {"a": 7}, {"a": null}])"))).ok());
  ASSERT_EQ(out.messages.size(), 3u);
  EXPECT_TRUE(out.messages[2].batch()->Equals(*BatchFromJson(schema, R"([{"a": null}, {"a": 7}])")));
  // Empty batches pass with their schema, like in every operator.
  ASSERT_TRUE(op->Push(0, Message::Batch(BatchFromJson(schema, "[]"))).ok());
  ASSERT_TRUE(op->Push(0, Message::EndOfStream()).ok());
  EXPECT_EQ(out.Controls(), (std::vector<std::string>{"Watermark(5)", "EndOfStream"}));
  ASSERT_EQ(out.messages.size(), 5u);
  EXPECT_EQ(out.messages[3].batch()->num_rows(), 0);
}

TEST(Distinct, FloatsGroupByValue) {
  // -0.0 equals 0.0 and NaN equals NaN (DuckDB), whatever their bits.
  auto schema = arrow::schema({arrow::field("x", arrow::float64())});
  auto op = Distinct(schema, {"x"});
  RecordingOperator out(schema);
  op->ConnectTo(&out, 0);
  arrow::DoubleBuilder builder;
  ASSERT_TRUE(builder.AppendValues({0.0, -0.0, std::nan("1"), -std::nan(""), 1.5, 0.0, std::nan("")}).ok());
  ASSERT_TRUE(builder.AppendNull().ok());
  auto column = builder.Finish().ValueOrDie();
  ASSERT_TRUE(op->Push(0, Message::Batch(arrow::RecordBatch::Make(schema, column->length(), {column}))).ok());
  auto got = out.Table()->CombineChunks().ValueOrDie();
  ASSERT_EQ(got->num_rows(), 4);
  EXPECT_EQ(got->column(0)->ToString(), TableFromJson(schema, R"([{"x": 0}, {"x": NaN}, {"x": 1.5}, {"x": null}])")
                                            ->column(0)->ToString());
}

TEST(Distinct, Errors) {
  auto schema = arrow::schema({arrow::field("a", arrow::int64()), arrow::field("tags", arrow::list(arrow::int64()))});
  auto unknown = MakeDistinct(schema, {"b"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(),
            "cannot compute distinct over column 'b': it does not exist; the columns are: a, tags");
  auto twice = MakeDistinct(schema, {"a", "a"});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().message(), "distinct column 'a' is listed more than once");
}

TEST(Distinct, MatchesASetOnRandomDataAndMergesPartialSets) {
  auto schema = arrow::schema({arrow::field("k", arrow::int32()), arrow::field("s", arrow::utf8())});
  std::mt19937 rng(3);
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  std::set<std::tuple<int, std::string>> seen;  // (-1 = null, "~" = null)
  std::vector<std::tuple<int, std::string>> want;
  for (int b = 0; b < 40; ++b) {
    arrow::Int32Builder k;
    arrow::StringBuilder s;
    const int rows = static_cast<int>(rng() % 2000);
    for (int i = 0; i < rows; ++i) {
      const int kv = static_cast<int>(rng() % 300) - 1;
      const std::string sv = rng() % 10 == 0 ? "~" : std::string(1, static_cast<char>('a' + rng() % 5));
      ASSERT_TRUE((kv < 0 ? k.AppendNull() : k.Append(kv)).ok());
      ASSERT_TRUE((sv == "~" ? s.AppendNull() : s.Append(sv)).ok());
      if (seen.insert({kv, sv}).second) want.emplace_back(kv, sv);
    }
    batches.push_back(arrow::RecordBatch::Make(schema, rows, {k.Finish().ValueOrDie(), s.Finish().ValueOrDie()}));
  }
  auto rows_of = [](const arrow::RecordBatch& batch, std::vector<std::tuple<int, std::string>>* rows) {
    auto k = std::static_pointer_cast<arrow::Int32Array>(batch.column(0));
    auto s = std::static_pointer_cast<arrow::StringArray>(batch.column(1));
    for (int64_t i = 0; i < batch.num_rows(); ++i) {
      rows->emplace_back(k->IsNull(i) ? -1 : k->Value(i), s->IsNull(i) ? "~" : s->GetString(i));
    }
  };
  auto op = Distinct(schema, {});
  RecordingOperator out(schema);
  op->ConnectTo(&out, 0);
  for (const auto& batch : batches) ASSERT_TRUE(op->Push(0, Message::Batch(batch)).ok());
  std::vector<std::tuple<int, std::string>> got;
  for (const auto& m : out.messages) rows_of(*m.batch(), &got);
  EXPECT_EQ(got, want);

  // Two partial sets over halves of the input, merged: the same rows in the same order.
  auto first = DistinctState::Make(schema).ValueOrDie();
  auto second = DistinctState::Make(schema).ValueOrDie();
  std::vector<std::tuple<int, std::string>> merged;
  for (size_t i = 0; i < batches.size(); ++i) {
    auto fresh = (i < 20 ? first : second).Insert(batches[i]).ValueOrDie();
    if (i < 20 && fresh != nullptr) rows_of(*fresh, &merged);
  }
  auto fresh = first.Merge(second).ValueOrDie();
  if (fresh != nullptr) rows_of(*fresh, &merged);
  EXPECT_EQ(merged, want);
  EXPECT_EQ(first.num_distinct(), static_cast<int64_t>(want.size()));
  std::vector<std::tuple<int, std::string>> uniques;
  rows_of(*first.Uniques().ValueOrDie(), &uniques);
  EXPECT_EQ(uniques, want);
}

}  // namespace
}  // namespace sabot
