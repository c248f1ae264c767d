// FilterPredicate: the rows it selects are the rows Arrow's filter keeps, through the
// bitmap (SelectedRows, also over sliced masks with nulls) and through per-entry
// evaluation of dictionary columns (Select), declared so or given so by a scan for plain
// columns, with the conjuncts over several columns evaluated at the rows the others keep.
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

// `values` dictionary-encoded by Arrow (a null value becomes a null index).
std::shared_ptr<arrow::Array> AsDictionary(const std::shared_ptr<arrow::Array>& values) {
  auto encoded = arrow::compute::DictionaryEncode(values);
  EXPECT_TRUE(encoded.ok()) << encoded.status().ToString();
  return encoded->make_array();
}

TEST(FilterPredicate, PlainColumnsGivenAsDictionariesKeepWhatArrowsFilterKeeps) {
  std::mt19937 rng(12);
  arrow::Date32Builder day;
  arrow::DoubleBuilder quantity;
  arrow::Int64Builder a, b;
  arrow::StringDictionaryBuilder mode;
  const char* words[] = {"AIR", "MAIL", "SHIP"};
  constexpr int kRows = 6000;
  for (int i = 0; i < kRows; ++i) {
    // Null dates: their rows never pass.
    ASSERT_TRUE((i % 29 == 0 ? day.AppendNull() : day.Append(static_cast<int32_t>(8000 + rng() % 400))).ok());
    ASSERT_TRUE(quantity.Append(static_cast<double>(1 + rng() % 50)).ok());
    ASSERT_TRUE((i % 19 == 0 ? a.AppendNull() : a.Append(static_cast<int64_t>(rng() % 100))).ok());
    ASSERT_TRUE(b.Append(static_cast<int64_t>(rng() % 100)).ok());
    ASSERT_TRUE(mode.Append(words[rng() % 3]).ok());
  }
  const auto plain_day = *day.Finish(), plain_quantity = *quantity.Finish();
  const auto plain_a = *a.Finish(), plain_b = *b.Finish(), modes = *mode.Finish();
  auto schema = arrow::schema({arrow::field("day", arrow::date32()), arrow::field("quantity", arrow::float64()),
                               arrow::field("a", arrow::int64()), arrow::field("b", arrow::int64()),
                               arrow::field("mode", modes->type())});
  auto decoded_mode = arrow::compute::Cast(modes, arrow::utf8());
  ASSERT_TRUE(decoded_mode.ok());
  auto plain_schema = arrow::schema({schema->field(0), schema->field(1), schema->field(2), schema->field(3),
                                     arrow::field("mode", arrow::utf8())});
  const Expr day_from = Expr::Literal(std::make_shared<arrow::Date32Scalar>(8100));
  const Expr day_to = Expr::Literal(std::make_shared<arrow::Date32Scalar>(8300));
  // Conjuncts over one plain column (day twice, quantity), over two (a, b), and over a
  // declared dictionary (mode); then day read by a conjunct over two columns as well.
  const Expr tested_alone =
      col("day") >= day_from && col("quantity") < lit(24.0) && col("day") < day_to && col("a") < col("b");
  const Expr day_shared = tested_alone && Cast(col("day"), arrow::int32()) > col("b");
  const Expr predicates[] = {tested_alone, tested_alone && col("mode") == lit("AIR"), day_shared};
  for (int p = 0; p < 3; ++p) {
    const Expr& predicate = predicates[p];
    SCOPED_TRACE(predicate.ToString());
    auto bound = BindPredicate(plain_schema, predicate);
    ASSERT_TRUE(bound.ok()) << bound.status().ToString();
    auto plain_batch = arrow::RecordBatch::Make(plain_schema, kRows, {plain_day, plain_quantity, plain_a, plain_b,
                                                                      decoded_mode->make_array()});
    auto mask = bound->Evaluate(*plain_batch);
    ASSERT_TRUE(mask.ok()) << mask.status().ToString();
    const auto want = Expected(static_cast<const arrow::BooleanArray&>(**mask));
    ASSERT_GT(want.size(), 50u);

    auto filter = FilterPredicate::Make(schema, predicate);
    ASSERT_TRUE(filter.ok()) << filter.status().ToString();
    for (int column = 0; column < 4; ++column) EXPECT_TRUE(filter->TakesEntries(column)) << column;
    EXPECT_FALSE(filter->TakesEntries(4));  // declared a dictionary
    // Each plain column given as values or as a dictionary (bit c of `given` for column
    // c): a and b only ever read by a conjunct over both, day by both kinds in `day_shared`.
    for (int given = 0; given < 16; ++given) {
      const std::shared_ptr<arrow::Array> plain[] = {plain_day, plain_quantity, plain_a, plain_b};
      arrow::ArrayVector columns;
      arrow::FieldVector fields = schema->fields();
      for (int c = 0; c < 4; ++c) {
        columns.push_back((given >> c & 1) != 0 ? AsDictionary(plain[c]) : plain[c]);
        fields[static_cast<size_t>(c)] = fields[static_cast<size_t>(c)]->WithType(columns.back()->type());
      }
      columns.push_back(modes);
      auto batch = arrow::RecordBatch::Make(arrow::schema(fields), kRows, columns);
      auto got = filter->Select(*batch);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_EQ(*got, want) << "given " << given;
      auto got_mask = filter->Mask(*batch);
      ASSERT_TRUE(got_mask.ok()) << got_mask.status().ToString();
      EXPECT_EQ(SelectedRows(**got_mask), want) << "given " << given;
    }
  }
  // Conjuncts over several columns only: no first step to narrow the rows at which they
  // would decode a dictionary, so no column is taken as one.
  auto compared = FilterPredicate::Make(schema, col("a") < col("b") && Cast(col("day"), arrow::int32()) > col("b"));
  ASSERT_TRUE(compared.ok()) << compared.status().ToString();
  for (int column = 0; column < 5; ++column) EXPECT_FALSE(compared->TakesEntries(column)) << column;
}

}  // namespace
}  // namespace sabot
