// CsvEncoder against Arrow's CSV writer: the same bytes for every type it takes, over
// random values with nulls, sliced arrays, edge values and awkward strings.
#include "sabot/io/csv_encoder.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/csv/writer.h>
#include <arrow/io/memory.h>
#include <gtest/gtest.h>

namespace sabot {
namespace {

std::string ArrowText(const arrow::RecordBatch& batch, bool header) {
  auto sink = arrow::io::BufferOutputStream::Create().ValueOrDie();
  auto options = arrow::csv::WriteOptions::Defaults();
  options.include_header = header;
  EXPECT_TRUE(arrow::csv::WriteCSV(batch, options, sink.get()).ok());
  return sink->Finish().ValueOrDie()->ToString();
}

std::string OurText(const arrow::RecordBatch& batch) {
  auto buffer = CsvEncoder::Encode(batch, arrow::default_memory_pool());
  EXPECT_TRUE(buffer.ok()) << buffer.status().ToString();
  return buffer.ok() ? (*buffer)->ToString() : std::string();
}

// Random values of `type` (its storage integers drawn from `low`..`high`), about one in
// seven null.
std::shared_ptr<arrow::Array> RandomIntegers(const std::shared_ptr<arrow::DataType>& type, int64_t n, int64_t low,
                                             int64_t high, std::mt19937_64& rng) {
  std::uniform_int_distribution<int64_t> value(low, high);
  arrow::Int64Builder builder;
  for (int64_t i = 0; i < n; ++i) {
    if (rng() % 7 == 0) {
      EXPECT_TRUE(builder.AppendNull().ok());
    } else {
      EXPECT_TRUE(builder.Append(value(rng)).ok());
    }
  }
  auto wide = builder.Finish().ValueOrDie();
  // Reinterpret int64 storage as the temporal type, or narrow for small integers.
  if (arrow::is_integer(type->id()) && type->id() != arrow::Type::INT64) {
    arrow::compute::CastOptions options = arrow::compute::CastOptions::Unsafe(type);
    return arrow::compute::Cast(*wide, type, options).ValueOrDie();
  }
  if (type->byte_width() == 4) {
    auto narrow = arrow::compute::Cast(*wide, arrow::int32(), arrow::compute::CastOptions::Unsafe(arrow::int32()))
                      .ValueOrDie();
    return narrow->View(type).ValueOrDie();
  }
  return wide->View(type).ValueOrDie();
}

std::shared_ptr<arrow::Array> RandomStrings(int64_t n, std::mt19937_64& rng) {
  const std::vector<std::string> pieces = {"a", "b", ",", "\"", "\n", " ", "x", "\xc3\xa9"};
  arrow::StringBuilder builder;
  for (int64_t i = 0; i < n; ++i) {
    if (rng() % 7 == 0) {
      EXPECT_TRUE(builder.AppendNull().ok());
      continue;
    }
    std::string s;
    for (uint64_t k = rng() % 6; k > 0; --k) s += pieces[rng() % pieces.size()];
    EXPECT_TRUE(builder.Append(s).ok());
  }
  return builder.Finish().ValueOrDie();
}

std::shared_ptr<arrow::Array> RandomBools(int64_t n, std::mt19937_64& rng) {
  arrow::BooleanBuilder builder;
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_TRUE((rng() % 7 == 0 ? builder.AppendNull() : builder.Append(rng() % 2 == 0)).ok());
  }
  return builder.Finish().ValueOrDie();
}

constexpr int64_t kMicrosPerDay = 86400LL * 1000000;
// Days since 1970 of 0000-01-01 and 9999-12-31.
constexpr int64_t kFirstDay = -719528;
constexpr int64_t kLastDay = 2932896;

TEST(CsvEncoder, MatchesArrowForEveryTypeOnRandomBatches) {
  std::mt19937_64 rng(11);
  const int64_t n = 3000;
  const int64_t i64_min = std::numeric_limits<int64_t>::min();
  const int64_t i64_max = std::numeric_limits<int64_t>::max();
  arrow::FieldVector fields;
  arrow::ArrayVector columns;
  auto add = [&](const std::string& name, std::shared_ptr<arrow::Array> array) {
    fields.push_back(arrow::field(name, array->type()));
    columns.push_back(std::move(array));
  };
  add("i8", RandomIntegers(arrow::int8(), n, -128, 127, rng));
  add("i16", RandomIntegers(arrow::int16(), n, -32768, 32767, rng));
  add("i32", RandomIntegers(arrow::int32(), n, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(), rng));
  add("i64", RandomIntegers(arrow::int64(), n, i64_min, i64_max, rng));
  add("i64 small \"quoted\" name", RandomIntegers(arrow::int64(), n, -1000, 1000, rng));
  add("u8", RandomIntegers(arrow::uint8(), n, 0, 255, rng));
  add("u16", RandomIntegers(arrow::uint16(), n, 0, 65535, rng));
  add("u32", RandomIntegers(arrow::uint32(), n, 0, std::numeric_limits<uint32_t>::max(), rng));
  add("u64", RandomIntegers(arrow::uint64(), n, i64_min, i64_max, rng));  // all of uint64 as bits
  add("b", RandomBools(n, rng));
  add("s", RandomStrings(n, rng));
  add("ls", arrow::compute::Cast(*RandomStrings(n, rng), arrow::large_utf8()).ValueOrDie());
  add("d", RandomIntegers(arrow::date32(), n, kFirstDay, kLastDay, rng));
  add("ts_s", RandomIntegers(arrow::timestamp(arrow::TimeUnit::SECOND), n, kFirstDay * 86400, kLastDay * 86400 + 86399, rng));
  add("ts_ms", RandomIntegers(arrow::timestamp(arrow::TimeUnit::MILLI), n, -5'000'000'000'000, 5'000'000'000'000, rng));
  add("ts_us", RandomIntegers(arrow::timestamp(arrow::TimeUnit::MICRO), n, kFirstDay * kMicrosPerDay,
                              (kLastDay + 1) * kMicrosPerDay - 1, rng));
  add("ts_ns", RandomIntegers(arrow::timestamp(arrow::TimeUnit::NANO), n, i64_min, i64_max, rng));
  add("ts_utc", RandomIntegers(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"), n, -kMicrosPerDay * 3, kMicrosPerDay * 3, rng));
  add("t32s", RandomIntegers(arrow::time32(arrow::TimeUnit::SECOND), n, 0, 86399, rng));
  add("t32ms", RandomIntegers(arrow::time32(arrow::TimeUnit::MILLI), n, 0, 86399999, rng));
  add("t64us", RandomIntegers(arrow::time64(arrow::TimeUnit::MICRO), n, 0, kMicrosPerDay - 1, rng));
  add("t64ns", RandomIntegers(arrow::time64(arrow::TimeUnit::NANO), n, 0, kMicrosPerDay * 1000 - 1, rng));
  auto schema = arrow::schema(fields);
  ASSERT_TRUE(CsvEncoder::Supports(*schema));
  auto batch = arrow::RecordBatch::Make(schema, n, columns);
  ASSERT_TRUE(batch->ValidateFull().ok()) << batch->ValidateFull().ToString();

  const std::string arrow_text = ArrowText(*batch, /*header=*/true);
  EXPECT_EQ(CsvEncoder::Header(*schema) + OurText(*batch), arrow_text);
  // Sliced arrays (offsets into values, bitmaps and string offsets).
  for (const auto& [offset, length] : {std::pair<int64_t, int64_t>{1, 100}, {777, 1500}, {2999, 1}, {5, 0}}) {
    auto slice = batch->Slice(offset, length);
    EXPECT_EQ(OurText(*slice), ArrowText(*slice, /*header=*/false)) << offset << "+" << length;
  }
}

TEST(CsvEncoder, EdgeValues) {
  arrow::Int64Builder ints;
  ASSERT_TRUE(ints.AppendValues({0, 9, 10, 99, 100, -1, -10, std::numeric_limits<int64_t>::min(),
                                 std::numeric_limits<int64_t>::max(), 999999999999999999, 1000000000000000000})
                  .ok());
  arrow::StringBuilder strings;
  ASSERT_TRUE(strings.AppendValues({"", "\"", "\"\"", "a\"b\"c", ",", "\n", "plain", "x", "y", "z", "\xe2\x82\xac"}).ok());
  arrow::TimestampBuilder stamps(arrow::timestamp(arrow::TimeUnit::MICRO), arrow::default_memory_pool());
  ASSERT_TRUE(stamps.AppendValues({0, -1, 1, kMicrosPerDay - 1, kMicrosPerDay, -kMicrosPerDay, kFirstDay * kMicrosPerDay,
                                   (kLastDay + 1) * kMicrosPerDay - 1, 951782400000000 /* 2000-02-29 */,
                                   4107542400000000 /* 2100-03-01 */, -2203891200000000 /* 1900-03-01: 1900 has no leap day */})
                  .ok());
  auto schema = arrow::schema({arrow::field("i", arrow::int64()), arrow::field("s", arrow::utf8()),
                               arrow::field("t", arrow::timestamp(arrow::TimeUnit::MICRO))});
  auto batch = arrow::RecordBatch::Make(schema, 11,
                                        {ints.Finish().ValueOrDie(), strings.Finish().ValueOrDie(),
                                         stamps.Finish().ValueOrDie()});
  EXPECT_EQ(CsvEncoder::Header(*schema) + OurText(*batch), ArrowText(*batch, /*header=*/true));
}

TEST(CsvEncoder, LeavesOtherTypesAndZonesToArrow) {
  EXPECT_FALSE(CsvEncoder::Supports(*arrow::schema({arrow::field("f", arrow::float64())})));
  EXPECT_FALSE(CsvEncoder::Supports(*arrow::schema({arrow::field("d", arrow::decimal128(10, 2))})));
  EXPECT_FALSE(CsvEncoder::Supports(*arrow::schema({arrow::field("s", arrow::dictionary(arrow::int32(), arrow::utf8()))})));
  EXPECT_FALSE(CsvEncoder::Supports(
      *arrow::schema({arrow::field("t", arrow::timestamp(arrow::TimeUnit::SECOND, "America/New_York"))})));
  EXPECT_FALSE(CsvEncoder::Supports(*arrow::schema({})));
  EXPECT_TRUE(CsvEncoder::Supports(*arrow::schema({arrow::field("t", arrow::timestamp(arrow::TimeUnit::SECOND, "UTC"))})));
}

TEST(CsvEncoder, DatesOutsideFourDigitYearsAreRefused) {
  arrow::Date32Builder dates;
  ASSERT_TRUE(dates.AppendValues({0, static_cast<int32_t>(kLastDay + 1)}).ok());
  auto batch = arrow::RecordBatch::Make(arrow::schema({arrow::field("d", arrow::date32())}), 2,
                                        {dates.Finish().ValueOrDie()});
  auto text = CsvEncoder::Encode(*batch, arrow::default_memory_pool());
  ASSERT_FALSE(text.ok());
  EXPECT_TRUE(text.status().IsInvalid()) << text.status().ToString();
  EXPECT_NE(text.status().message().find("years 0000-9999"), std::string::npos) << text.status().ToString();
}

}  // namespace
}  // namespace sabot
