// ConcatenateBatchColumns gives what arrow::Concatenate gives, column by column, on any
// number of workers: copied by batch ranges (no nulls) or by Arrow (nulls, booleans).
#include "sabot/ops/concatenate_batches.h"

#include <random>

#include <arrow/api.h>
#include <arrow/array/concatenate.h>
#include <gtest/gtest.h>

namespace sabot {
namespace {

// Batches of the schema below: int64, date32, decimal128, utf8, large binary, fixed-size
// binary, a nullable int32 and a boolean. Batch sizes vary (an empty one included) and
// every other batch is a slice of a larger one, so arrays start at an offset.
std::vector<std::shared_ptr<arrow::RecordBatch>> MakeBatches(const std::shared_ptr<arrow::Schema>& schema,
                                                             int count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  for (int b = 0; b < count; ++b) {
    const int64_t rows = b == 3 ? 0 : static_cast<int64_t>(rng() % 700);
    const int64_t skip = b % 2 == 1 ? 5 : 0;
    arrow::Int64Builder ints;
    arrow::Date32Builder dates;
    arrow::Decimal128Builder decimals(schema->field(2)->type());
    arrow::StringBuilder strings;
    arrow::LargeBinaryBuilder blobs;
    arrow::FixedSizeBinaryBuilder fixed(schema->field(5)->type());
    arrow::Int32Builder nullable;
    arrow::BooleanBuilder flags;
    for (int64_t i = 0; i < rows + skip; ++i) {
      const auto v = static_cast<int64_t>(rng());
      EXPECT_TRUE(ints.Append(v - (int64_t{1} << 31)).ok());
      EXPECT_TRUE(dates.Append(static_cast<int32_t>(v % 20'000)).ok());
      EXPECT_TRUE(decimals.Append(arrow::Decimal128(v % 1'000'000 - 500'000)).ok());
      EXPECT_TRUE(strings.Append(std::string(static_cast<size_t>(v % 13), static_cast<char>('a' + v % 26))).ok());
      EXPECT_TRUE(blobs.Append(std::string(static_cast<size_t>(v % 5), '\x07')).ok());
      EXPECT_TRUE(fixed.Append(std::string(3, static_cast<char>('A' + v % 26))).ok());
      EXPECT_TRUE((v % 4 == 0 ? nullable.AppendNull() : nullable.Append(static_cast<int32_t>(v % 100))).ok());
      EXPECT_TRUE(flags.Append(v % 3 == 0).ok());
    }
    arrow::ArrayVector columns;
    for (arrow::ArrayBuilder* builder : std::initializer_list<arrow::ArrayBuilder*>{
             &ints, &dates, &decimals, &strings, &blobs, &fixed, &nullable, &flags}) {
      columns.push_back(*builder->Finish());
    }
    batches.push_back(arrow::RecordBatch::Make(schema, rows + skip, columns)->Slice(skip, rows));
  }
  return batches;
}

std::shared_ptr<arrow::Schema> TestSchema() {
  return arrow::schema({arrow::field("i", arrow::int64()), arrow::field("d", arrow::date32()),
                        arrow::field("m", arrow::decimal128(12, 2)), arrow::field("s", arrow::utf8()),
                        arrow::field("b", arrow::large_binary()), arrow::field("f", arrow::fixed_size_binary(3)),
                        arrow::field("n", arrow::int32()), arrow::field("t", arrow::boolean())});
}

TEST(ConcatenateBatchColumns, SameAsArrowOnAnyNumberOfWorkers) {
  auto schema = TestSchema();
  auto batches = MakeBatches(schema, 23, 5);
  for (int workers : {1, 2, 4, 16, 40}) {
    SCOPED_TRACE(workers);
    auto columns = ConcatenateBatchColumns(*schema, batches, workers);
    ASSERT_TRUE(columns.ok()) << columns.status();
    ASSERT_EQ(columns->size(), static_cast<size_t>(schema->num_fields()));
    for (int c = 0; c < schema->num_fields(); ++c) {
      arrow::ArrayVector chunks;
      for (const auto& batch : batches) chunks.push_back(batch->column(c));
      auto expected = *arrow::Concatenate(chunks);
      const auto& got = (*columns)[c];
      ASSERT_TRUE(got->type()->Equals(*schema->field(c)->type())) << schema->field(c)->name();
      ASSERT_TRUE(got->ValidateFull().ok()) << schema->field(c)->name();
      ASSERT_TRUE(got->Equals(*expected)) << schema->field(c)->name() << "\n" << got->ToString();
    }
  }
}

TEST(ConcatenateBatchColumns, NoBatchOrOneBatch) {
  auto schema = TestSchema();
  auto none = *ConcatenateBatchColumns(*schema, {}, 4);
  for (int c = 0; c < schema->num_fields(); ++c) {
    EXPECT_EQ(none[c]->length(), 0);
    EXPECT_TRUE(none[c]->type()->Equals(*schema->field(c)->type()));
  }
  auto one = MakeBatches(schema, 1, 9);
  auto columns = *ConcatenateBatchColumns(*schema, one, 4);
  for (int c = 0; c < schema->num_fields(); ++c) EXPECT_EQ(columns[c].get(), one.front()->column(c).get());
}

}  // namespace
}  // namespace sabot
