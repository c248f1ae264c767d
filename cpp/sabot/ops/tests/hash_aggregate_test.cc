// Hash aggregation: every function on ints/floats/strings with nulls, keys (null,
// string, multi-column), global aggregates, many groups, errors, and merging partial
// states.
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <random>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <gtest/gtest.h>

#include "sabot/ops/hash_aggregate.h"
#include "sabot/ops/tests/test_util.h"

namespace sabot {
namespace {

using testing::BatchFromJson;
using testing::RecordingOperator;
using testing::TableFromJson;
using AF = AggregateFunction;

//! Group order is unspecified (as in SQL), so results are compared sorted by the keys,
//! nulls last.
std::shared_ptr<arrow::Table> SortedByKeys(const std::shared_ptr<arrow::Table>& table,
                                           const std::vector<std::string>& keys) {
  if (keys.empty()) return table;
  std::vector<arrow::compute::SortKey> sort_keys;
  for (const auto& key : keys) sort_keys.emplace_back(key);
  auto indices = arrow::compute::SortIndices(arrow::Datum(table), arrow::compute::SortOptions(sort_keys));
  return arrow::compute::Take(table, *indices).ValueOrDie().table();
}

//! Runs the operator over `batches` and returns what it emitted, sorted by the keys.
Result<std::shared_ptr<arrow::Table>> Aggregate(const std::shared_ptr<arrow::Schema>& schema,
                                                const std::vector<std::string>& keys,
                                                const std::vector<AggregateSpec>& aggregates,
                                                const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches) {
  ARROW_ASSIGN_OR_RAISE(auto op, MakeHashAggregate(schema, keys, aggregates));
  RecordingOperator out(op->output_schema());
  op->ConnectTo(&out, 0);
  for (const auto& batch : batches) ARROW_RETURN_NOT_OK(op->Push(0, Message::Batch(batch)));
  ARROW_RETURN_NOT_OK(op->Push(0, Message::EndOfStream()));
  if (out.Controls() != std::vector<std::string>{"EndOfStream"}) return Status::Invalid("no EndOfStream");
  return SortedByKeys(out.Table(), keys);
}

std::vector<AggregateSpec> AllFunctions(const std::string& column) {
  return {{AF::kCount, column, "count"},   {AF::kCountAll, "", "rows"},      {AF::kSum, column, "sum"},
          {AF::kMin, column, "min"},       {AF::kMax, column, "max"},        {AF::kMean, column, "mean"},
          {AF::kVariance, column, "var"},  {AF::kStddev, column, "stddev"},
          {AF::kCountDistinct, column, "distinct"}, {AF::kFirst, column, "first"},
          {AF::kLast, column, "last"}};
}

TEST(AggregateSpecNames, RoundTripAndUnknownName) {
  for (auto f : {AF::kCount, AF::kCountAll, AF::kSum, AF::kMin, AF::kMax, AF::kMean, AF::kVariance,
                 AF::kStddev, AF::kCountDistinct, AF::kFirst, AF::kLast}) {
    auto parsed = ParseAggregateFunction(ToString(f));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, f);
  }
  EXPECT_EQ(ToString(AF::kVariance), "var");
  auto bad = ParseAggregateFunction("median");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "unknown aggregate function 'median'; the functions are: count, count_all, sum, min, max, "
            "mean, var, stddev, count_distinct, first, last");
}

TEST(HashAggregate, EveryFunctionOnIntegersWithNullsAndNullKey) {
  auto schema = arrow::schema({arrow::field("k", arrow::utf8()), arrow::field("v", arrow::int32())});
  auto b1 = BatchFromJson(schema, R"([{"k": "a", "v": null}, {"k": "b", "v": null}, {"k": null, "v": 5},
                                      {"k": "a", "v": 1}])");
  auto b2 = BatchFromJson(schema, R"([{"k": null, "v": 5}, {"k": "a", "v": 3}, {"k": "b", "v": null}])");
  auto table = Aggregate(schema, {"k"}, AllFunctions("v"), {b1, b2});
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  auto expected_schema = arrow::schema(
      {arrow::field("k", arrow::utf8()), arrow::field("count", arrow::int64()), arrow::field("rows", arrow::int64()),
       arrow::field("sum", arrow::int64()), arrow::field("min", arrow::int32()), arrow::field("max", arrow::int32()),
       arrow::field("mean", arrow::float64()), arrow::field("var", arrow::float64()),
       arrow::field("stddev", arrow::float64()), arrow::field("distinct", arrow::int64()),
       arrow::field("first", arrow::int32()), arrow::field("last", arrow::int32())});
  // first()/last() keep nulls.
  EXPECT_TABLE_EQ(*table, TableFromJson(expected_schema, R"([
    {"k": "a", "count": 2, "rows": 3, "sum": 4, "min": 1, "max": 3, "mean": 2.0, "var": 2.0,
     "stddev": 1.4142135623730951, "distinct": 2, "first": null, "last": 3},
    {"k": "b", "count": 0, "rows": 2, "sum": null, "min": null, "max": null, "mean": null, "var": null,
     "stddev": null, "distinct": 0, "first": null, "last": null},
    {"k": null, "count": 2, "rows": 2, "sum": 10, "min": 5, "max": 5, "mean": 5.0, "var": 0.0,
     "stddev": 0.0, "distinct": 1, "first": 5, "last": 5}])"));
}

TEST(HashAggregate, FloatingValuesAndNaNOrdering) {
  auto schema = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::float32())});
  arrow::Int64Builder keys;
  arrow::FloatBuilder values;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  ASSERT_TRUE(keys.AppendValues({1, 1, 1, 2, 2, 3}).ok());
  ASSERT_TRUE(values.AppendValues({1.5f, nan, -2.0f, 0.25f, 0.0f, 0.0f}, {1, 1, 1, 1, 0, 1}).ok());
  auto batch = arrow::RecordBatch::Make(schema, 6, {keys.Finish().ValueOrDie(), values.Finish().ValueOrDie()});
  auto table = Aggregate(schema, {"k"},
                         {{AF::kSum, "v", "sum"}, {AF::kMin, "v", "min"}, {AF::kMax, "v", "max"},
                          {AF::kMean, "v", "mean"}, {AF::kCount, "v", "n"}},
                         {batch});
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  auto t = (*table)->CombineChunksToBatch().ValueOrDie();
  const auto& sum = static_cast<const arrow::DoubleArray&>(*t->GetColumnByName("sum"));
  const auto& min = static_cast<const arrow::FloatArray&>(*t->GetColumnByName("min"));
  const auto& max = static_cast<const arrow::FloatArray&>(*t->GetColumnByName("max"));
  const auto& mean = static_cast<const arrow::DoubleArray&>(*t->GetColumnByName("mean"));
  EXPECT_TRUE(std::isnan(sum.Value(0)));
  EXPECT_EQ(min.Value(0), -2.0f);  // NaN sorts above every number, as in DuckDB
  EXPECT_TRUE(std::isnan(max.Value(0)));
  EXPECT_EQ(sum.Value(1), 0.25);
  EXPECT_EQ(min.Value(1), 0.25f);
  EXPECT_EQ(mean.Value(1), 0.25);
  EXPECT_EQ(sum.Value(2), 0.0);
  EXPECT_TRUE(t->GetColumnByName("n")->Equals(*arrow::json::ArrayFromJSONString(arrow::int64(), "[3, 1, 1]").ValueOrDie()));
}

TEST(HashAggregate, StringValuesMinMaxFirstLastDistinct) {
  for (auto type : {arrow::utf8(), arrow::large_utf8()}) {
    auto schema = arrow::schema({arrow::field("k", arrow::int32()), arrow::field("s", type)});
    auto b1 = BatchFromJson(schema, R"([{"k": 1, "s": "pear"}, {"k": 2, "s": null}, {"k": 1, "s": "apple"},
                                        {"k": 1, "s": "pear"}])");
    auto b2 = BatchFromJson(schema, R"([{"k": 1, "s": "Zoo"}, {"k": 2, "s": "fig"}, {"k": 1, "s": null}])");
    auto table = Aggregate(schema, {"k"},
                           {{AF::kMin, "s", "min"}, {AF::kMax, "s", "max"}, {AF::kFirst, "s", "first"},
                            {AF::kLast, "s", "last"}, {AF::kCountDistinct, "s", "distinct"},
                            {AF::kCount, "s", "n"}},
                           {b1, b2});
    ASSERT_TRUE(table.ok()) << table.status().ToString();
    auto expected_schema = arrow::schema(
        {arrow::field("k", arrow::int32()), arrow::field("min", type), arrow::field("max", type),
         arrow::field("first", type), arrow::field("last", type), arrow::field("distinct", arrow::int64()),
         arrow::field("n", arrow::int64())});
    // Bytewise order: "Zoo" < "apple".
    EXPECT_TABLE_EQ(*table, TableFromJson(expected_schema, R"([
      {"k": 1, "min": "Zoo", "max": "pear", "first": "pear", "last": null, "distinct": 3, "n": 4},
      {"k": 2, "min": "fig", "max": "fig", "first": null, "last": "fig", "distinct": 1, "n": 1}])"));
  }
}

TEST(HashAggregate, BooleanAndTemporalMinMaxKeepTheirType) {
  auto schema = arrow::schema({arrow::field("k", arrow::int8()), arrow::field("b", arrow::boolean()),
                               arrow::field("d", arrow::date32()),
                               arrow::field("t", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"))});
  auto batch = BatchFromJson(schema, R"([
    {"k": 1, "b": true, "d": 10, "t": 1000}, {"k": 1, "b": false, "d": 3, "t": 5000},
    {"k": 2, "b": true, "d": null, "t": null}, {"k": 1, "b": null, "d": 7, "t": 2000}])");
  auto table = Aggregate(schema, {"k"},
                         {{AF::kMin, "b", "bmin"}, {AF::kMax, "b", "bmax"}, {AF::kMin, "d", "dmin"},
                          {AF::kMax, "t", "tmax"}, {AF::kFirst, "b", "bfirst"}, {AF::kLast, "t", "tlast"}},
                         {batch});
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  auto expected_schema = arrow::schema(
      {arrow::field("k", arrow::int8()), arrow::field("bmin", arrow::boolean()), arrow::field("bmax", arrow::boolean()),
       arrow::field("dmin", arrow::date32()), arrow::field("tmax", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")),
       arrow::field("bfirst", arrow::boolean()),
       arrow::field("tlast", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"))});
  EXPECT_TABLE_EQ(*table, TableFromJson(expected_schema, R"([
    {"k": 1, "bmin": false, "bmax": true, "dmin": 3, "tmax": 5000, "bfirst": true, "tlast": 2000},
    {"k": 2, "bmin": true, "bmax": true, "dmin": null, "tmax": null, "bfirst": true, "tlast": null}])"));
}

// Decimals: sum exact as decimal(38, scale), mean as float64, min and max in the input
// type; partial states merge to the same.
TEST(HashAggregate, DecimalSumMeanMinMax) {
  for (const auto& type : {arrow::decimal128(15, 2), arrow::decimal64(12, 2), arrow::decimal32(7, 2)}) {
    SCOPED_TRACE(type->ToString());
    auto schema = arrow::schema({arrow::field("k", arrow::int8()), arrow::field("p", type)});
    auto first = BatchFromJson(schema, R"([
      {"k": 1, "p": "1.50"}, {"k": 1, "p": "-2.25"}, {"k": 2, "p": null}, {"k": 1, "p": "10000.01"}])");
    auto second = BatchFromJson(schema, R"([{"k": 2, "p": "0.99"}, {"k": 3, "p": null}, {"k": 1, "p": "-0.01"}])");
    const std::vector<AggregateSpec> specs = {{AF::kSum, "p", "s"}, {AF::kMean, "p", "m"}, {AF::kMin, "p", "lo"},
                                              {AF::kMax, "p", "hi"}};
    auto table = Aggregate(schema, {"k"}, specs, {first, second});
    ASSERT_TRUE(table.ok()) << table.status().ToString();
    auto expected_schema = arrow::schema({arrow::field("k", arrow::int8()), arrow::field("s", arrow::decimal128(38, 2)),
                                          arrow::field("m", arrow::float64()), arrow::field("lo", type),
                                          arrow::field("hi", type)});
    auto expected = TableFromJson(expected_schema, R"([
      {"k": 1, "s": "9999.25", "m": 2499.8125, "lo": "-2.25", "hi": "10000.01"},
      {"k": 2, "s": "0.99", "m": 0.99, "lo": "0.99", "hi": "0.99"},
      {"k": 3, "s": null, "m": null, "lo": null, "hi": null}])");
    EXPECT_TABLE_EQ(*table, expected);

    auto whole = HashAggregateState::Make(schema, {"k"}, specs).ValueOrDie();
    auto left = whole->MakeEmpty().ValueOrDie();
    auto right = whole->MakeEmpty().ValueOrDie();
    ASSERT_TRUE(left->Consume(*first).ok());
    ASSERT_TRUE(right->Consume(*second).ok());
    ASSERT_TRUE(left->Merge(*right).ok());
    auto merged = arrow::Table::FromRecordBatches(left->output_schema(), left->Finalize().ValueOrDie()).ValueOrDie();
    EXPECT_TABLE_EQ(SortedByKeys(merged, {"k"}), expected);
  }
  // Past 38 digits the sum is an error.
  auto wide = arrow::schema({arrow::field("p", arrow::decimal128(38, 0))});
  auto big = BatchFromJson(wide, R"([{"p": "99999999999999999999999999999999999999"}, {"p": "1"}])");
  auto overflow = Aggregate(wide, {}, {{AF::kSum, "p", "s"}}, {big});
  ASSERT_FALSE(overflow.ok());
  EXPECT_EQ(overflow.status().message(), "sum(p): decimal overflow, the sum needs more than 38 digits");
}

// Variance and stddev of decimals: float64, what the same values as float64 give (the
// scale applied once at the end), also from merged partial states.
TEST(HashAggregate, DecimalVarianceAndStddevAreThoseOfTheValues) {
  const char* rows = R"([{"k": 1, "p": "1.50"}, {"k": 1, "p": "-2.25"}, {"k": 2, "p": null}, {"k": 1, "p": "10000.01"},
                         {"k": 2, "p": "0.99"}, {"k": 3, "p": "4.00"}, {"k": 1, "p": "-0.01"}, {"k": 2, "p": "0.98"}])";
  auto as_double = arrow::schema({arrow::field("k", arrow::int8()), arrow::field("p", arrow::float64())});
  const std::vector<AggregateSpec> specs = {{AF::kVariance, "p", "v"}, {AF::kStddev, "p", "sd"}};
  const char* double_rows = R"([{"k": 1, "p": 1.50}, {"k": 1, "p": -2.25}, {"k": 2, "p": null}, {"k": 1, "p": 10000.01},
                                {"k": 2, "p": 0.99}, {"k": 3, "p": 4.00}, {"k": 1, "p": -0.01}, {"k": 2, "p": 0.98}])";
  auto want = Aggregate(as_double, {"k"}, specs, {BatchFromJson(as_double, double_rows)});
  ASSERT_TRUE(want.ok()) << want.status().ToString();
  for (const auto& type : {arrow::decimal128(15, 2), arrow::decimal64(12, 2), arrow::decimal32(7, 2)}) {
    SCOPED_TRACE(type->ToString());
    auto schema = arrow::schema({arrow::field("k", arrow::int8()), arrow::field("p", type)});
    auto batch = BatchFromJson(schema, rows);
    auto whole = HashAggregateState::Make(schema, {"k"}, specs).ValueOrDie();
    auto left = whole->MakeEmpty().ValueOrDie();
    auto right = whole->MakeEmpty().ValueOrDie();
    ASSERT_TRUE(left->Consume(*batch->Slice(0, 3)).ok());
    ASSERT_TRUE(right->Consume(*batch->Slice(3)).ok());
    ASSERT_TRUE(left->Merge(*right).ok());
    auto merged = arrow::Table::FromRecordBatches(left->output_schema(), left->Finalize().ValueOrDie()).ValueOrDie();
    for (const auto& got : {*Aggregate(schema, {"k"}, specs, {batch}), SortedByKeys(merged, {"k"})}) {
      ASSERT_EQ(got->num_rows(), 3);
      for (const char* column : {"v", "sd"}) {
        auto g = std::static_pointer_cast<arrow::DoubleArray>(got->GetColumnByName(column)->chunk(0));
        auto w = std::static_pointer_cast<arrow::DoubleArray>((*want)->GetColumnByName(column)->chunk(0));
        ASSERT_EQ(g->type_id(), arrow::Type::DOUBLE);
        for (int64_t i = 0; i < 3; ++i) {
          ASSERT_EQ(g->IsNull(i), w->IsNull(i)) << column << " " << i;  // k = 3 has one value: null
          if (!w->IsNull(i)) EXPECT_NEAR(g->Value(i), w->Value(i), 1e-9 * std::abs(w->Value(i))) << column << " " << i;
        }
      }
    }
  }
}

TEST(HashAggregate, MultiColumnKeysWithNullsAndSlicedInput) {
  auto schema = arrow::schema({arrow::field("a", arrow::int32()), arrow::field("s", arrow::utf8()),
                               arrow::field("v", arrow::int64())});
  auto batch = BatchFromJson(schema, R"([
    {"a": 0, "s": "skip", "v": 100},
    {"a": 1, "s": "x", "v": 1}, {"a": null, "s": "x", "v": 2}, {"a": 1, "s": null, "v": 3},
    {"a": null, "s": null, "v": 4}, {"a": 1, "s": "x", "v": 5}, {"a": null, "s": null, "v": null},
    {"a": 1, "s": null, "v": 7}])");
  // A slice has a non-zero offset: the loops must honour it.
  auto table = Aggregate(schema, {"a", "s"},
                         {{AF::kSum, "v", "sum"}, {AF::kCountAll, "", "n"}, {AF::kLast, "v", "last"}},
                         {batch->Slice(1)});
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  auto expected_schema = arrow::schema({arrow::field("a", arrow::int32()), arrow::field("s", arrow::utf8()),
                                        arrow::field("sum", arrow::int64()), arrow::field("n", arrow::int64()),
                                        arrow::field("last", arrow::int64())});
  EXPECT_TABLE_EQ(*table, TableFromJson(expected_schema, R"([
    {"a": 1, "s": "x", "sum": 6, "n": 2, "last": 5}, {"a": 1, "s": null, "sum": 10, "n": 2, "last": 7},
    {"a": null, "s": "x", "sum": 2, "n": 1, "last": 2}, {"a": null, "s": null, "sum": 4, "n": 2, "last": null}])"));
}

TEST(HashAggregate, GlobalAggregateWithAndWithoutRows) {
  auto schema = arrow::schema({arrow::field("v", arrow::int64()), arrow::field("s", arrow::utf8())});
  std::vector<AggregateSpec> specs = {{AF::kCountAll, "", ""},      {AF::kCount, "v", ""},
                                      {AF::kSum, "v", ""},          {AF::kMin, "s", ""},
                                      {AF::kVariance, "v", ""},     {AF::kFirst, "s", ""},
                                      {AF::kCountDistinct, "s", ""}};
  auto expected_schema = arrow::schema(
      {arrow::field("count(*)", arrow::int64()), arrow::field("count(v)", arrow::int64()),
       arrow::field("sum(v)", arrow::int64()), arrow::field("min(s)", arrow::utf8()),
       arrow::field("var(v)", arrow::float64()), arrow::field("first(s)", arrow::utf8()),
       arrow::field("count_distinct(s)", arrow::int64())});

  auto rows = Aggregate(schema, {}, specs,
                        {BatchFromJson(schema, R"([{"v": 4, "s": "b"}, {"v": null, "s": "a"}])"),
                         BatchFromJson(schema, R"([{"v": 8, "s": "b"}])")});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_TABLE_EQ(*rows, TableFromJson(expected_schema, R"json([{"count(*)": 3, "count(v)": 2, "sum(v)": 12,
      "min(s)": "a", "var(v)": 8.0, "first(s)": "b", "count_distinct(s)": 2}])json"));

  // Empty input still gives one row, as SELECT count(*) FROM empty does.
  for (const auto& batches : {std::vector<std::shared_ptr<arrow::RecordBatch>>{},
                              std::vector<std::shared_ptr<arrow::RecordBatch>>{BatchFromJson(schema, "[]")}}) {
    auto empty = Aggregate(schema, {}, specs, batches);
    ASSERT_TRUE(empty.ok()) << empty.status().ToString();
    EXPECT_TABLE_EQ(*empty, TableFromJson(expected_schema, R"json([{"count(*)": 0, "count(v)": 0, "sum(v)": null,
        "min(s)": null, "var(v)": null, "first(s)": null, "count_distinct(s)": 0}])json"));
  }

  // With keys, empty input has no groups.
  auto grouped = Aggregate(schema, {"s"}, specs, {BatchFromJson(schema, "[]")});
  ASSERT_TRUE(grouped.ok());
  EXPECT_EQ((*grouped)->num_rows(), 0);
}

TEST(HashAggregate, VarianceAndStddevAreStableSampleStatistics) {
  // 1e9 + {4, 7, 13, 16}: the sample variance is 30; a naive sum of squares loses it.
  auto schema = arrow::schema({arrow::field("v", arrow::float64()), arrow::field("i", arrow::int64())});
  auto batch = BatchFromJson(schema, R"([{"v": 1000000004.0, "i": 1}, {"v": 1000000007.0, "i": 2},
                                         {"v": 1000000013.0, "i": 3}, {"v": 1000000016.0, "i": 4}])");
  auto table = Aggregate(schema, {},
                         {{AF::kVariance, "v", "var"}, {AF::kStddev, "v", "sd"}, {AF::kVariance, "i", "ivar"},
                          {AF::kMean, "i", "imean"}},
                         {batch});
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  auto t = (*table)->CombineChunksToBatch().ValueOrDie();
  auto value = [&](const char* name) { return static_cast<const arrow::DoubleArray&>(*t->GetColumnByName(name)).Value(0); };
  EXPECT_NEAR(value("var"), 30.0, 1e-9);
  EXPECT_NEAR(value("sd"), std::sqrt(30.0), 1e-9);
  EXPECT_NEAR(value("ivar"), 5.0 / 3.0, 1e-12);
  EXPECT_EQ(value("imean"), 2.5);
}

TEST(HashAggregate, IntegerSumOverflowIsAnError) {
  auto schema = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::int64())});
  auto batch = BatchFromJson(schema, R"([{"k": 1, "v": 9223372036854775807}, {"k": 1, "v": 1}])");
  auto overflow = Aggregate(schema, {"k"}, {{AF::kSum, "v", "total"}}, {batch});
  ASSERT_FALSE(overflow.ok());
  EXPECT_EQ(overflow.status().message(), "sum(v): integer overflow, the sum does not fit in int64");
  // mean sums in 128 bits, so the same input is fine there.
  auto mean = Aggregate(schema, {"k"}, {{AF::kMean, "v", "m"}}, {batch});
  ASSERT_TRUE(mean.ok());

  auto unsigned_schema = arrow::schema({arrow::field("v", arrow::uint64())});
  auto big = Aggregate(unsigned_schema, {}, {{AF::kSum, "v", ""}},
                       {BatchFromJson(unsigned_schema, R"([{"v": 9223372036854775808}])")});
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().message(), "sum(v): integer overflow, the sum does not fit in int64");
}

TEST(HashAggregate, ErrorsNameTheColumnAndType) {
  auto schema = arrow::schema({arrow::field("name", arrow::utf8()), arrow::field("v", arrow::int64()),
                               arrow::field("l", arrow::list(arrow::int64()))});
  auto check = [&](const std::vector<std::string>& keys, const std::vector<AggregateSpec>& specs,
                   const std::string& message) {
    auto op = MakeHashAggregate(schema, keys, specs);
    ASSERT_FALSE(op.ok());
    EXPECT_EQ(op.status().message(), message);
  };
  check({}, {{AF::kSum, "name", "s"}}, "sum(name): expected a numeric column, found string");
  check({}, {{AF::kMean, "name", ""}}, "mean(name): expected a numeric column, found string");
  check({}, {{AF::kMin, "l", ""}},
        "min(l): expected a numeric, boolean, string, binary or temporal column, found list<int64>");
  check({}, {{AF::kSum, "x", ""}}, "sum(x): column 'x' does not exist; the columns are: name, v, l");
  check({"nope"}, {}, "group key: column 'nope' does not exist; the columns are: name, v, l");
  check({}, {{AF::kCountAll, "v", ""}}, "count_all counts rows and takes no column, got 'v'");
  check({"v"}, {{AF::kSum, "v", "v"}}, "output column 'v' is defined more than once");
}

TEST(HashAggregate, ForwardsControlAndEmitsAtEnd) {
  auto schema = arrow::schema({arrow::field("k", arrow::int64())});
  auto op = MakeHashAggregate(schema, {"k"}, {{AF::kCountAll, "", "n"}});
  ASSERT_TRUE(op.ok());
  RecordingOperator out((*op)->output_schema());
  (*op)->ConnectTo(&out, 0);
  ASSERT_TRUE((*op)->Push(0, Message::Batch(BatchFromJson(schema, R"([{"k": 1}, {"k": 1}])"))).ok());
  ASSERT_TRUE((*op)->Push(0, Message::Watermark(7)).ok());
  ASSERT_TRUE((*op)->Push(0, Message::CheckpointBarrier(3)).ok());
  EXPECT_EQ(out.messages.size(), 2u);  // nothing emitted before the end
  ASSERT_TRUE((*op)->Push(0, Message::EndOfStream()).ok());
  ASSERT_EQ(out.messages.size(), 4u);
  EXPECT_TRUE(out.messages[2].is_batch());
  EXPECT_EQ(out.messages[3].kind(), MessageKind::kEndOfStream);
  EXPECT_EQ(out.Controls()[0], Message::Watermark(7).ToString());
  EXPECT_EQ(out.Controls()[1], Message::CheckpointBarrier(3).ToString());
}

// A batch of `rows` random int64 keys below `key_range` and values with some nulls.
std::shared_ptr<arrow::RecordBatch> RandomBatch(const std::shared_ptr<arrow::Schema>& schema, int64_t rows,
                                                int64_t key_range, std::mt19937_64& rng) {
  arrow::Int64Builder keys;
  arrow::Int64Builder values;
  std::uniform_int_distribution<int64_t> key(0, key_range - 1);
  std::uniform_int_distribution<int64_t> value(-1000, 1000);
  for (int64_t i = 0; i < rows; ++i) {
    EXPECT_TRUE(keys.Append(key(rng)).ok());
    const int64_t v = value(rng);
    EXPECT_TRUE((v % 17 == 0 ? values.AppendNull() : values.Append(v)).ok());
  }
  return arrow::RecordBatch::Make(schema, rows, {keys.Finish().ValueOrDie(), values.Finish().ValueOrDie()});
}

struct Expected {
  int64_t rows = 0, count = 0, sum = 0;
  std::optional<int64_t> min, max, first, last;
  bool first_set = false;
};

TEST(HashAggregate, ManyGroupsAcrossBatchesMatchAStraightforwardMap) {
  auto schema = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::int64())});
  std::mt19937_64 rng(42);
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  std::map<int64_t, Expected> expected;
  for (int b = 0; b < 6; ++b) {
    auto batch = RandomBatch(schema, 100000, 100000, rng);
    const auto& k = static_cast<const arrow::Int64Array&>(*batch->column(0));
    const auto& v = static_cast<const arrow::Int64Array&>(*batch->column(1));
    for (int64_t i = 0; i < batch->num_rows(); ++i) {
      Expected& e = expected[k.Value(i)];
      ++e.rows;
      std::optional<int64_t> value;
      if (v.IsValid(i)) value = v.Value(i);
      if (!e.first_set) e.first = value, e.first_set = true;
      e.last = value;
      if (!value) continue;
      ++e.count;
      e.sum += *value;
      e.min = e.min ? std::min(*e.min, *value) : *value;
      e.max = e.max ? std::max(*e.max, *value) : *value;
    }
    batches.push_back(std::move(batch));
  }
  auto op = MakeHashAggregate(schema, {"k"},
                              {{AF::kCountAll, "", "rows"}, {AF::kCount, "v", "count"}, {AF::kSum, "v", "sum"},
                               {AF::kMin, "v", "min"}, {AF::kMax, "v", "max"}, {AF::kFirst, "v", "first"},
                               {AF::kLast, "v", "last"}});
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  RecordingOperator out((*op)->output_schema());
  (*op)->ConnectTo(&out, 0);
  for (const auto& batch : batches) ASSERT_TRUE((*op)->Push(0, Message::Batch(batch)).ok());
  ASSERT_TRUE((*op)->Push(0, Message::EndOfStream()).ok());

  int64_t total = 0;
  for (const auto& m : out.messages) {
    if (!m.is_batch()) continue;
    EXPECT_LE(m.batch()->num_rows(), kMaxAggregateOutputRows);
    total += m.batch()->num_rows();
  }
  ASSERT_EQ(total, static_cast<int64_t>(expected.size()));
  ASSERT_GT(total, kMaxAggregateOutputRows);  // so the output really was split
  EXPECT_EQ(out.messages.size(), static_cast<size_t>((total + kMaxAggregateOutputRows - 1) / kMaxAggregateOutputRows + 1));

  auto t = out.Table()->CombineChunksToBatch().ValueOrDie();
  auto column = [&](int i) { return std::static_pointer_cast<arrow::Int64Array>(t->column(i)); };
  auto opt = [](const arrow::Int64Array& a, int64_t i) -> std::optional<int64_t> {
    return a.IsValid(i) ? std::optional<int64_t>(a.Value(i)) : std::nullopt;
  };
  auto keys = column(0), rows = column(1), count = column(2), sum = column(3), min = column(4), max = column(5),
       first = column(6), last = column(7);
  for (int64_t i = 0; i < t->num_rows(); ++i) {
    const Expected& e = expected.at(keys->Value(i));
    ASSERT_EQ(rows->Value(i), e.rows);
    ASSERT_EQ(count->Value(i), e.count);
    ASSERT_EQ(opt(*sum, i), e.count ? std::optional<int64_t>(e.sum) : std::nullopt);
    ASSERT_EQ(opt(*min, i), e.min);
    ASSERT_EQ(opt(*max, i), e.max);
    ASSERT_EQ(opt(*first, i), e.first);
    ASSERT_EQ(opt(*last, i), e.last);
  }
}

// Columns of doubles compare within a tolerance (summation order differs), the rest exactly.
void ExpectTablesClose(const arrow::Table& actual, const arrow::Table& expected) {
  auto a = actual.CombineChunksToBatch().ValueOrDie();
  auto e = expected.CombineChunksToBatch().ValueOrDie();
  ASSERT_TRUE(a->schema()->Equals(*e->schema()));
  ASSERT_EQ(a->num_rows(), e->num_rows());
  for (int c = 0; c < a->num_columns(); ++c) {
    if (a->column(c)->type_id() == arrow::Type::DOUBLE) {
      const auto& x = static_cast<const arrow::DoubleArray&>(*a->column(c));
      const auto& y = static_cast<const arrow::DoubleArray&>(*e->column(c));
      for (int64_t i = 0; i < a->num_rows(); ++i) {
        ASSERT_EQ(x.IsValid(i), y.IsValid(i)) << a->schema()->field(c)->name() << " row " << i;
        if (x.IsValid(i)) {
          ASSERT_NEAR(x.Value(i), y.Value(i), 1e-9 * (1 + std::abs(y.Value(i))));
        }
      }
    } else {
      EXPECT_TRUE(a->column(c)->Equals(*e->column(c))) << a->schema()->field(c)->name();
    }
  }
}

TEST(HashAggregate, MergingPartialStatesEqualsOneState) {
  auto schema = arrow::schema({arrow::field("k", arrow::utf8()), arrow::field("v", arrow::int64()),
                               arrow::field("s", arrow::utf8())});
  auto first_half = BatchFromJson(schema, R"([
    {"k": "a", "v": 1, "s": "x"}, {"k": "b", "v": null, "s": null}, {"k": "a", "v": 4, "s": "y"},
    {"k": null, "v": 2, "s": "x"}, {"k": "c", "v": null, "s": null}])");
  auto second_half = BatchFromJson(schema, R"([
    {"k": "d", "v": 9, "s": "z"}, {"k": "a", "v": 4, "s": "x"}, {"k": "b", "v": 3, "s": "w"},
    {"k": null, "v": null, "s": null}, {"k": "c", "v": 5, "s": "q"}])");
  std::vector<AggregateSpec> specs = AllFunctions("v");
  for (auto f : {AF::kMin, AF::kMax, AF::kFirst, AF::kLast, AF::kCountDistinct}) {
    specs.push_back({f, "s", std::string(ToString(f)) + "_s"});
  }
  for (std::vector<std::string> keys : {std::vector<std::string>{"k"}, std::vector<std::string>{}}) {
    auto whole = HashAggregateState::Make(schema, keys, specs);
    ASSERT_TRUE(whole.ok()) << whole.status().ToString();
    auto left = (*whole)->MakeEmpty().ValueOrDie();
    auto right = (*whole)->MakeEmpty().ValueOrDie();
    ASSERT_TRUE((*whole)->Consume(*first_half).ok());
    ASSERT_TRUE((*whole)->Consume(*second_half).ok());
    ASSERT_TRUE(left->Consume(*first_half).ok());
    ASSERT_TRUE(right->Consume(*second_half).ok());
    ASSERT_TRUE(left->Merge(*right).ok());
    auto expected = arrow::Table::FromRecordBatches((*whole)->output_schema(), (*whole)->Finalize().ValueOrDie());
    auto merged = arrow::Table::FromRecordBatches(left->output_schema(), left->Finalize().ValueOrDie());
    ExpectTablesClose(*SortedByKeys(*merged, keys), *SortedByKeys(*expected, keys));
  }
}

TEST(HashAggregate, MergingManyRandomPartialsEqualsOneState) {
  auto schema = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::int64())});
  std::mt19937_64 rng(7);
  std::vector<AggregateSpec> specs = AllFunctions("v");
  auto whole = HashAggregateState::Make(schema, {"k"}, specs).ValueOrDie();
  auto merged = whole->MakeEmpty().ValueOrDie();
  for (int part = 0; part < 4; ++part) {
    auto partial = whole->MakeEmpty().ValueOrDie();
    for (int b = 0; b < 3; ++b) {
      auto batch = RandomBatch(schema, 20000, 30000, rng);
      ASSERT_TRUE(whole->Consume(*batch).ok());
      ASSERT_TRUE(partial->Consume(*batch).ok());
    }
    ASSERT_TRUE(merged->Merge(*partial).ok());
  }
  EXPECT_EQ(merged->num_groups(), whole->num_groups());
  auto expected = arrow::Table::FromRecordBatches(whole->output_schema(), whole->Finalize().ValueOrDie());
  auto actual = arrow::Table::FromRecordBatches(merged->output_schema(), merged->Finalize().ValueOrDie());
  ExpectTablesClose(*SortedByKeys(*actual, {"k"}), *SortedByKeys(*expected, {"k"}));
}

// Split by key hash, every group lands in exactly one part with all its aggregates:
// count_distinct (int and string) hands its value pairs out in one walk (SplitInto), the
// others through the default per-part Merge. Merged back, the parts equal the state.
TEST(HashAggregate, SplittingByKeyHashHandsEachGroupToOnePart) {
  auto schema = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::int64())});
  auto with_text = arrow::schema({schema->field(0), schema->field(1), arrow::field("s", arrow::utf8())});
  std::vector<AggregateSpec> specs = AllFunctions("v");
  for (auto f : {AF::kCountDistinct, AF::kMin, AF::kFirst}) specs.push_back({f, "s", std::string(ToString(f)) + "_s"});
  auto whole = HashAggregateState::Make(with_text, {"k"}, specs).ValueOrDie();
  auto split = whole->MakeEmpty().ValueOrDie();
  std::mt19937_64 rng(11);
  for (int b = 0; b < 3; ++b) {
    auto batch = RandomBatch(schema, 20000, 5000, rng);
    auto text = arrow::compute::Cast(batch->column(1), arrow::utf8()).ValueOrDie().make_array();
    batch = arrow::RecordBatch::Make(with_text, batch->num_rows(), {batch->column(0), batch->column(1), text});
    ASSERT_TRUE(whole->Consume(*batch).ok());
    ASSERT_TRUE(split->Consume(*batch).ok());
  }
  const int64_t groups = whole->num_groups();
  // Merging walks every group of each aggregate, and count_distinct's pairs beyond them.
  EXPECT_GT(split->MergeEntries(), groups * static_cast<int64_t>(specs.size()));
  auto parts = split->SplitByKeyHash(5).ValueOrDie();
  ASSERT_EQ(parts.size(), 5u);
  auto rejoined = whole->MakeEmpty().ValueOrDie();
  int64_t part_groups = 0;
  for (auto& part : parts) {
    EXPECT_GT(part->num_groups(), 0);
    part_groups += part->num_groups();
    ASSERT_TRUE(rejoined->Merge(*part).ok());
  }
  EXPECT_EQ(part_groups, groups);  // no group in two parts
  EXPECT_EQ(rejoined->num_groups(), groups);
  auto expected = arrow::Table::FromRecordBatches(whole->output_schema(), whole->Finalize().ValueOrDie());
  auto actual = arrow::Table::FromRecordBatches(rejoined->output_schema(), rejoined->Finalize().ValueOrDie());
  ExpectTablesClose(*SortedByKeys(*actual, {"k"}), *SortedByKeys(*expected, {"k"}));
}

// A part keeps its keys as a list until rows come (KeyListGrouper): it then takes rows
// and merges as any state, its groups keeping their ids.
TEST(HashAggregate, APartOfASplitTakesRowsAndMerges) {
  auto schema = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::int64())});
  const std::vector<AggregateSpec> specs = AllFunctions("v");
  auto whole = HashAggregateState::Make(schema, {"k"}, specs).ValueOrDie();
  auto split = whole->MakeEmpty().ValueOrDie();
  std::mt19937_64 rng(5);
  auto first = RandomBatch(schema, 5000, 800, rng);
  auto second = RandomBatch(schema, 5000, 1600, rng);
  ASSERT_TRUE(whole->Consume(*first).ok());
  ASSERT_TRUE(whole->Consume(*second).ok());
  ASSERT_TRUE(split->Consume(*first).ok());
  auto parts = split->SplitByKeyHash(3).ValueOrDie();
  auto rejoined = whole->MakeEmpty().ValueOrDie();
  for (auto& part : parts) {
    // Every part takes all of the second batch, keys of other parts as new groups.
    ASSERT_TRUE(part->Consume(*second).ok());
  }
  // Part 0 now holds its keys' rows of both batches and every other key's rows of the
  // second; the first batch's rows of the other keys come from a split of it alone,
  // merged first, so first/last see the rows in input order.
  auto only_first = whole->MakeEmpty().ValueOrDie();
  ASSERT_TRUE(only_first->Consume(*first).ok());
  auto first_parts = only_first->SplitByKeyHash(3).ValueOrDie();
  for (size_t p = 1; p < first_parts.size(); ++p) ASSERT_TRUE(rejoined->Merge(*first_parts[p]).ok());
  ASSERT_TRUE(rejoined->Merge(*parts[0]).ok());
  EXPECT_EQ(rejoined->num_groups(), whole->num_groups());
  auto expected = arrow::Table::FromRecordBatches(whole->output_schema(), whole->Finalize().ValueOrDie());
  auto actual = arrow::Table::FromRecordBatches(rejoined->output_schema(), rejoined->Finalize().ValueOrDie());
  ExpectTablesClose(*SortedByKeys(*actual, {"k"}), *SortedByKeys(*expected, {"k"}));
}


// `batch` with its dictionary columns decoded.
std::shared_ptr<arrow::RecordBatch> Decoded(const std::shared_ptr<arrow::RecordBatch>& batch) {
  arrow::FieldVector fields;
  arrow::ArrayVector columns;
  for (int c = 0; c < batch->num_columns(); ++c) {
    auto column = batch->column(c);
    if (column->type_id() == arrow::Type::DICTIONARY) {
      const auto& values = static_cast<const arrow::DictionaryType&>(*column->type()).value_type();
      column = arrow::compute::Cast(column, values).ValueOrDie().make_array();
    }
    fields.push_back(batch->schema()->field(c)->WithType(column->type()));
    columns.push_back(column);
  }
  return arrow::RecordBatch::Make(arrow::schema(fields), batch->num_rows(), columns);
}

std::shared_ptr<arrow::Table> Finalized(HashAggregateState& state, const std::vector<std::string>& keys) {
  auto batches = state.Finalize().ValueOrDie();
  return SortedByKeys(arrow::Table::FromRecordBatches(state.output_schema(), batches).ValueOrDie(), keys);
}

// Dictionary keys grouped as read (each batch with its own dictionary) and output
// decoded give what the decoded keys give, through merging, saving and splitting too.
TEST(HashAggregate, DecodedDictionaryKeysEqualPlainKeys) {
  auto dict_type = arrow::dictionary(arrow::int32(), arrow::utf8());
  auto schema = arrow::schema({arrow::field("k", dict_type), arrow::field("f", arrow::boolean()),
                               arrow::field("v", arrow::float64())});
  std::mt19937 rng(5);
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  for (int b = 0; b < 4; ++b) {
    arrow::StringBuilder dictionary;
    for (int e = 0; e < 3; ++e) ASSERT_TRUE(dictionary.Append(std::string(1, static_cast<char>('a' + (e + b) % 5))).ok());
    if (b == 2) {
      ASSERT_TRUE(dictionary.AppendNull().ok());
    }
    arrow::Int32Builder indices;
    arrow::BooleanBuilder flags;
    arrow::DoubleBuilder values;
    for (int i = 0; i < 1000; ++i) {
      ASSERT_TRUE((rng() % 40 == 0 ? indices.AppendNull() : indices.Append(static_cast<int32_t>(rng() % (b == 2 ? 4 : 3)))).ok());
      ASSERT_TRUE(flags.Append(rng() % 2 == 0).ok());
      ASSERT_TRUE(values.Append(static_cast<double>(rng() % 100)).ok());
    }
    auto keys = arrow::DictionaryArray::FromArrays(dict_type, *indices.Finish(), *dictionary.Finish()).ValueOrDie();
    batches.push_back(arrow::RecordBatch::Make(schema, 1000, {keys, *flags.Finish(), *values.Finish()}));
  }
  const std::vector<AggregateSpec> specs = {{AF::kSum, "v", "sum"}, {AF::kMean, "v", "mean"}, {AF::kCountAll, "", "n"}};
  const std::vector<std::string> keys = {"k", "f"};
  auto plain = HashAggregateState::Make(Decoded(batches[0])->schema(), keys, specs).ValueOrDie();
  for (const auto& batch : batches) ASSERT_TRUE(plain->Consume(*Decoded(batch)).ok());
  auto expected = Finalized(*plain, keys);

  auto whole = HashAggregateState::Make(schema, keys, specs, /*decode_dictionary_keys=*/true).ValueOrDie();
  EXPECT_TRUE(whole->output_schema()->Equals(*expected->schema()));
  auto first = whole->MakeEmpty().ValueOrDie();
  auto second = whole->MakeEmpty().ValueOrDie();
  for (size_t b = 0; b < batches.size(); ++b) {
    ASSERT_TRUE(whole->Consume(*batches[b]).ok());
    ASSERT_TRUE((b % 2 ? second : first)->Consume(*batches[b]).ok());
  }
  // Saved and loaded, split and merged back: the same groups.
  auto saved = whole->SaveGroups(std::vector<uint8_t>(whole->num_groups(), 1)).ValueOrDie();
  auto loaded = whole->MakeEmpty().ValueOrDie();
  ASSERT_TRUE(loaded->LoadGroups(*saved).ok());
  ExpectTablesClose(*Finalized(*loaded, keys), *expected);
  ASSERT_TRUE(whole->CanSplitByKeyHash());
  auto parts = whole->SplitByKeyHash(3).ValueOrDie();
  auto rejoined = parts[0]->MakeEmpty().ValueOrDie();
  for (auto& part : parts) ASSERT_TRUE(rejoined->Merge(*part).ok());
  ExpectTablesClose(*Finalized(*rejoined, keys), *expected);
  ASSERT_TRUE(first->Merge(*second).ok());
  ExpectTablesClose(*Finalized(*first, keys), *expected);
  // A part that takes rows turns its key list into a DictKeyGrouper, which numbers the
  // listed keys its own way: each keeps its aggregates all the same.
  auto early = parts[0]->MakeEmpty().ValueOrDie();
  for (int b : {0, 1}) ASSERT_TRUE(early->Consume(*batches[static_cast<size_t>(b)]).ok());
  auto early_parts = early->SplitByKeyHash(3).ValueOrDie();
  for (int b : {2, 3}) ASSERT_TRUE(early_parts[0]->Consume(*batches[static_cast<size_t>(b)]).ok());
  auto thawed = parts[0]->MakeEmpty().ValueOrDie();
  for (int p : {1, 2, 0}) ASSERT_TRUE(thawed->Merge(*early_parts[static_cast<size_t>(p)]).ok());
  ExpectTablesClose(*Finalized(*thawed, keys), *expected);

  // Not decoding, the keys stay dictionaries, of the same values.
  auto encoded = HashAggregateState::Make(schema, keys, specs).ValueOrDie();
  for (const auto& batch : batches) ASSERT_TRUE(encoded->Consume(*batch).ok());
  auto results = arrow::Table::FromRecordBatches(encoded->output_schema(), encoded->Finalize().ValueOrDie())
                     .ValueOrDie()->CombineChunksToBatch().ValueOrDie();
  EXPECT_TRUE(results->schema()->field(0)->type()->Equals(*dict_type));
  ExpectTablesClose(*SortedByKeys(arrow::Table::FromRecordBatches({Decoded(results)}).ValueOrDie(), keys), *expected);
}

}  // namespace
}  // namespace sabot
