// Filters over dictionary columns: conjuncts on one dictionary column are evaluated per
// entry; the rows kept must be those the same filter keeps over the decoded strings.
#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <gtest/gtest.h>

#include "sabot/ops/filter.h"
#include "sabot/ops/tests/test_util.h"

namespace sabot {
namespace {

// Strings with nulls, dictionary-encoded, and an int column.
std::shared_ptr<arrow::RecordBatch> Batch(const std::vector<std::optional<std::string>>& strings) {
  arrow::StringBuilder s;
  arrow::Int64Builder x;
  for (size_t i = 0; i < strings.size(); ++i) {
    EXPECT_TRUE((strings[i] ? s.Append(*strings[i]) : s.AppendNull()).ok());
    EXPECT_TRUE(x.Append(static_cast<int64_t>(i)).ok());
  }
  auto plain = *s.Finish();
  auto encoded = arrow::compute::DictionaryEncode(plain)->make_array();
  auto schema = arrow::schema({arrow::field("s", encoded->type()), arrow::field("x", arrow::int64())});
  return arrow::RecordBatch::Make(schema, static_cast<int64_t>(strings.size()), {encoded, *x.Finish()});
}

std::shared_ptr<arrow::RecordBatch> Decoded(const std::shared_ptr<arrow::RecordBatch>& batch) {
  auto plain = arrow::compute::Cast(*batch->column(0), arrow::utf8()).ValueOrDie();
  auto schema = arrow::schema({arrow::field("s", arrow::utf8()), arrow::field("x", arrow::int64())});
  return arrow::RecordBatch::Make(schema, batch->num_rows(), arrow::ArrayVector{plain, batch->column(1)});
}

// The rows `filter` keeps of `batch`, pushed twice, as one batch.
std::shared_ptr<arrow::RecordBatch> Filtered(FilterOperator& filter, const std::shared_ptr<arrow::RecordBatch>& batch) {
  testing::RecordingOperator out(filter.output_schema());
  filter.ConnectTo(&out, 0);
  for (int i = 0; i < 2; ++i) EXPECT_TRUE(filter.Push(0, Message::Batch(batch)).ok());
  auto table = out.Table()->CombineChunks().ValueOrDie();
  return arrow::TableBatchReader(*table).Next().ValueOrDie();
}

TEST(DictionaryPredicate, KeepsTheRowsTheDecodedFilterKeeps) {
  const Expr predicate = (col("s") != lit("b")) && (col("x") > lit(int64_t{1})) &&
                         Expr::Call("match_like", {col("s")}, {{"pattern", "%a%"}}) &&
                         Expr::Call("is_in", {col("s")}, {{"value_set", R"(["a", "ba", "ca", "xa"])"}});
  // Two batches with different dictionaries, as two Parquet row groups have.
  for (const auto& strings : std::vector<std::vector<std::optional<std::string>>>{
           {"a", "b", std::nullopt, "ba", "a", "c", "ab", "b"}, {"c", "ca", "ca", std::nullopt, "b", "xa"}}) {
    auto batch = Batch(strings);
    auto over_dictionaries = MakeFilterOverDictionaries(batch->schema(), predicate);
    ASSERT_TRUE(over_dictionaries.ok()) << over_dictionaries.status().ToString();
    auto decoded = Decoded(batch);
    auto plain = MakeFilter(decoded->schema(), predicate);
    ASSERT_TRUE(plain.ok()) << plain.status().ToString();
    // Each batch twice: the second hits the cached dictionary.
    auto a = Filtered(**over_dictionaries, batch);
    auto b = Filtered(**plain, decoded);
    ASSERT_GT(b->num_rows(), 0);
    auto decoded_a = Decoded(a);
    EXPECT_TRUE(decoded_a->Equals(*b)) << decoded_a->ToString() << " vs " << b->ToString();
  }
}

TEST(DictionaryPredicate, AConjunctOfTheWrongTypeIsAUserError) {
  auto batch = Batch({"a"});
  auto filter = MakeFilterOverDictionaries(batch->schema(), Expr::Call("utf8_upper", {col("s")}));
  ASSERT_FALSE(filter.ok());
  EXPECT_NE(filter.status().message().find("must be boolean"), std::string::npos) << filter.status().ToString();
}

}  // namespace
}  // namespace sabot
