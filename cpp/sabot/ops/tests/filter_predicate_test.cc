// FilterPredicate: the rows it selects are the rows Arrow's filter keeps, through the
// bitmap (SelectedRows, also over sliced masks with nulls) and through per-entry
// evaluation of dictionary columns (Select).
#include <random>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <gtest/gtest.h>

#include "sabot/ops/filter_predicate.h"

namespace sabot {
namespace {

std::vector<int32_t> Expected(const arrow::BooleanArray& mask) {
  std::vector<int32_t> rows;
  for (int64_t i = 0; i < mask.length(); ++i) {
    if (mask.IsValid(i) && mask.Value(i)) rows.push_back(static_cast<int32_t>(i));
  }
  return rows;
}

TEST(FilterPredicate, SelectedRowsOfSlicedMasksWithNulls) {
  std::mt19937 rng(4);
  for (int density : {0, 3, 50, 97, 100}) {
    arrow::BooleanBuilder builder;
    for (int i = 0; i < 1000; ++i) {
      ASSERT_TRUE((rng() % 11 == 0 ? builder.AppendNull() : builder.Append(static_cast<int>(rng() % 100) < density)).ok());
    }
    auto mask = *builder.Finish();
    for (int64_t offset : {0, 1, 7, 64, 65}) {
      for (int64_t length : {0, 1, 8, 63, 64, 200, 1000 - 65}) {
        auto slice = std::static_pointer_cast<arrow::BooleanArray>(mask->Slice(offset, length));
        EXPECT_EQ(SelectedRows(*slice), Expected(*slice)) << density << "% at " << offset << " for " << length;
      }
    }
  }
}

TEST(FilterPredicate, SelectOverDictionariesKeepsWhatArrowsFilterKeeps) {
  std::mt19937 rng(9);
  const char* words[] = {"AIR", "MAIL", "SHIP", "RAIL"};
  arrow::StringDictionaryBuilder mode;
  arrow::Int64Builder x;
  for (int i = 0; i < 5000; ++i) {
    ASSERT_TRUE((i % 13 == 0 ? mode.AppendNull() : mode.Append(words[rng() % 4])).ok());
    ASSERT_TRUE((i % 17 == 0 ? x.AppendNull() : x.Append(static_cast<int64_t>(rng() % 100))).ok());
  }
  auto schema = arrow::schema({arrow::field("mode", arrow::dictionary(arrow::int32(), arrow::utf8())),
                               arrow::field("x", arrow::int64())});
  auto batch = arrow::RecordBatch::Make(schema, 5000, {*mode.Finish(), *x.Finish()});
  const Expr predicate = col("mode") == lit("AIR") && col("x") < lit(int64_t{40});
  auto dictionary = FilterPredicate::Make(schema, predicate);
  ASSERT_TRUE(dictionary.ok()) << dictionary.status().ToString();
  // The same predicate over plain strings, evaluated whole by Arrow.
  auto decoded = arrow::compute::Cast(batch->column(0), arrow::utf8());
  ASSERT_TRUE(decoded.ok());
  auto plain_schema = arrow::schema({arrow::field("mode", arrow::utf8()), arrow::field("x", arrow::int64())});
  auto plain_batch = arrow::RecordBatch::Make(plain_schema, 5000, {decoded->make_array(), batch->column(1)});
  auto bound = BindPredicate(plain_schema, predicate);
  ASSERT_TRUE(bound.ok()) << bound.status().ToString();
  auto mask = bound->Evaluate(*plain_batch);
  ASSERT_TRUE(mask.ok());
  const auto want = Expected(static_cast<const arrow::BooleanArray&>(**mask));
  ASSERT_GT(want.size(), 100u);
  auto got = dictionary->Select(*batch);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, want);
  auto got_mask = dictionary->Mask(*batch);
  ASSERT_TRUE(got_mask.ok());
  EXPECT_EQ(SelectedRows(**got_mask), want);
}

}  // namespace
}  // namespace sabot
