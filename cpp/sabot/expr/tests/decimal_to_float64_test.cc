// decimal_to_float64: the correctly rounded double (what parsing the decimal's text gives)
// where the fast path applies and Arrow's conversion elsewhere, for every decimal width,
// scale and magnitude, nulls and slices; and a cast of a decimal column binds to it.
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>
#include <string>
#include <random>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <gtest/gtest.h>

#include "sabot/expr/bind.h"
#include "sabot/expr/decimal_to_float64.h"

namespace sabot {
namespace {

namespace cp = arrow::compute;

// Random decimals at `scale`: small and large magnitudes (past 2^53 and past int64 when
// the precision allows), both signs, zero, and a null every 11th.
std::shared_ptr<arrow::Array> RandomDecimals(int32_t precision, int32_t scale, int64_t n, uint64_t seed) {
  std::mt19937_64 random(seed);
  const auto wide = arrow::decimal128(38, scale);
  arrow::Decimal128Builder builder(wide);
  for (int64_t i = 0; i < n; ++i) {
    if (i % 11 == 0) {
      EXPECT_TRUE(builder.AppendNull().ok());
      continue;
    }
    // Up to `precision` digits, drawn by digit count so every magnitude shows up.
    const int digits = static_cast<int>(random() % static_cast<uint64_t>(precision + 1));
    arrow::Decimal128 value(0);
    for (int d = 0; d < digits; ++d) value = value * 10 + static_cast<int64_t>(random() % 10);
    if (random() % 2 == 0) value = -value;
    EXPECT_TRUE(builder.Append(value).ok());
  }
  auto parsed = builder.Finish().ValueOrDie();
  return cp::Cast(*parsed, arrow::decimal128(precision, scale)).ValueOrDie();
}

uint64_t Bits(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits;
}

void ExpectNearestDoubles(const std::shared_ptr<arrow::Array>& decimals) {
  SCOPED_TRACE(decimals->type()->ToString());
  ASSERT_TRUE(EnsureComputeInitialized().ok());
  auto ours = cp::CallFunction(kDecimalToFloat64, {decimals});
  ASSERT_TRUE(ours.ok()) << ours.status();
  auto arrows = cp::Cast(*decimals, arrow::float64());
  ASSERT_TRUE(arrows.ok()) << arrows.status();
  auto wide = cp::Cast(*decimals, arrow::decimal128(38, static_cast<const arrow::DecimalType&>(*decimals->type()).scale()));
  ASSERT_TRUE(wide.ok()) << wide.status();
  const auto ours_array = ours->make_array();
  const auto& got = static_cast<const arrow::DoubleArray&>(*ours_array);
  const auto& want = static_cast<const arrow::DoubleArray&>(**arrows);
  const auto& exact = static_cast<const arrow::Decimal128Array&>(**wide);
  const int32_t scale = static_cast<const arrow::DecimalType&>(*decimals->type()).scale();
  ASSERT_EQ(got.length(), want.length());
  int64_t fast = 0;
  for (int64_t i = 0; i < got.length(); ++i) {
    ASSERT_EQ(got.IsNull(i), want.IsNull(i)) << "row " << i;
    if (got.IsNull(i)) continue;
    const arrow::Decimal128 value(exact.GetValue(i));
    const std::string text = value.ToString(scale);
    const bool small = value <= arrow::Decimal128(int64_t{1} << 53) && value >= arrow::Decimal128(-(int64_t{1} << 53));
    if (small && scale <= 22) {
      // strtod rounds correctly; Arrow's cast multiplies by an inexact 10^-scale and can
      // be a unit in the last place off (198.95 -> 198.95000000000002).
      ++fast;
      ASSERT_EQ(Bits(got.Value(i)), Bits(std::strtod(text.c_str(), nullptr))) << "row " << i << ": " << text;
    } else {
      ASSERT_EQ(Bits(got.Value(i)), Bits(want.Value(i))) << "row " << i << ": " << text;
    }
  }
  if (scale <= 22) EXPECT_GT(fast, got.length() / 3);
}

TEST(DecimalToFloat64, NearestDoubleForEveryScaleAndMagnitude) {
  for (int32_t scale : {0, 2, 4, 9, 17, 22, 23, 30}) {
    auto decimals = RandomDecimals(38, scale, 4'000, 7 + static_cast<uint64_t>(scale));
    ExpectNearestDoubles(decimals);
    ExpectNearestDoubles(decimals->Slice(13, 1'000));  // an offset into the values
  }
  // TPC-H's decimal(15, 2), in every width that holds it.
  auto prices = RandomDecimals(15, 2, 4'000, 99);
  ExpectNearestDoubles(prices);
  ExpectNearestDoubles(cp::Cast(*prices, arrow::decimal64(15, 2)).ValueOrDie());
  ExpectNearestDoubles(cp::Cast(*RandomDecimals(9, 3, 4'000, 5), arrow::decimal32(9, 3)).ValueOrDie());
  ExpectNearestDoubles(RandomDecimals(18, 0, 4'000, 3));  // integers past 2^53
}

TEST(DecimalToFloat64, ACastOfADecimalColumnBindsToIt) {
  auto prices = RandomDecimals(15, 2, 1'000, 1);
  auto schema = arrow::schema({arrow::field("price", prices->type())});
  auto batch = arrow::RecordBatch::Make(schema, prices->length(), {prices});
  auto bound = Bind(Cast(Expr::Column("price"), arrow::float64()), schema);
  ASSERT_TRUE(bound.ok()) << bound.status();
  EXPECT_EQ(bound->arrow_expr().call()->function_name, kDecimalToFloat64);
  auto got = bound->Evaluate(*batch);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE((*got)->Equals(*cp::CallFunction(kDecimalToFloat64, {prices})->make_array()));
  // Casts to other types, and of other columns, stay Arrow's.
  auto to_float32 = Bind(Cast(Expr::Column("price"), arrow::float32()), schema);
  ASSERT_TRUE(to_float32.ok()) << to_float32.status();
  EXPECT_EQ(to_float32->arrow_expr().call()->function_name, "cast");
}

}  // namespace
}  // namespace sabot

namespace sabot {
namespace {

// UnscaledToFloat64, which readers of unscaled integers use, gives the kernel's doubles
// bit for bit: at the edges of its packed path (2^51), of the fast path (2^53) and of
// int64, at every scale including those without an exact power of ten, in runs of every
// length (the packed path takes two values a step).
TEST(DecimalToFloat64, UnscaledIntegersConvertAsTheKernel) {
  ASSERT_TRUE(RegisterDecimalToFloat64().ok());
  constexpr int64_t k51 = int64_t{1} << 51, k53 = int64_t{1} << 53;
  std::vector<int64_t> edges = {0, 1, -1, 7, k51 - 1, k51, k51 + 1, k53 - 1, k53, k53 + 1,
                                std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()};
  for (size_t i = 0, n = edges.size(); i < n; ++i) {
    if (edges[i] != std::numeric_limits<int64_t>::min()) edges.push_back(-edges[i]);
  }
  for (int32_t scale : {0, 2, 9, 18, 22, 23, 30}) {
    arrow::Decimal128Builder builder(arrow::decimal128(38, scale));
    for (int64_t v : edges) ASSERT_TRUE(builder.Append(arrow::Decimal128(v)).ok());
    auto decimals = builder.Finish().ValueOrDie();
    auto cast = cp::CallFunction(kDecimalToFloat64, {decimals}).ValueOrDie().make_array();
    const auto& expected = static_cast<const arrow::DoubleArray&>(*cast);
    const UnscaledToFloat64 convert(scale);
    for (size_t first = 0; first < edges.size(); ++first) {
      for (size_t length : {size_t{1}, size_t{2}, size_t{3}, edges.size() - first}) {
        if (first + length > edges.size()) continue;
        std::vector<double> got(length);
        convert.Convert(edges.data() + first, static_cast<int64_t>(length), got.data());
        for (size_t i = 0; i < length; ++i) {
          const double want = expected.Value(static_cast<int64_t>(first + i));
          EXPECT_EQ(std::memcmp(&got[i], &want, sizeof want), 0)
              << "scale " << scale << " value " << edges[first + i] << ": " << got[i] << " vs " << want;
        }
      }
    }
    // A long run within 2^51, all on the packed path.
    std::mt19937_64 random(static_cast<uint64_t>(scale));
    std::vector<int64_t> within(1001);
    for (auto& v : within) v = static_cast<int64_t>(random() % (2 * static_cast<uint64_t>(k51))) - k51;
    arrow::Decimal128Builder within_builder(arrow::decimal128(38, scale));
    for (int64_t v : within) ASSERT_TRUE(within_builder.Append(arrow::Decimal128(v)).ok());
    auto within_cast =
        cp::CallFunction(kDecimalToFloat64, {within_builder.Finish().ValueOrDie()}).ValueOrDie().make_array();
    const auto& within_expected = static_cast<const arrow::DoubleArray&>(*within_cast);
    std::vector<double> within_got(within.size());
    convert.Convert(within.data(), static_cast<int64_t>(within.size()), within_got.data());
    for (size_t i = 0; i < within.size(); ++i) {
      const double want = within_expected.Value(static_cast<int64_t>(i));
      ASSERT_EQ(std::memcmp(&within_got[i], &want, sizeof want), 0) << "scale " << scale << " value " << within[i];
    }
    std::vector<int32_t> small = {0, 1, -1, std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min()};
    std::vector<double> got(small.size());
    convert.Convert(small.data(), static_cast<int64_t>(small.size()), got.data());
    for (size_t i = 0; i < small.size(); ++i) EXPECT_EQ(got[i], convert(small[i])) << "scale " << scale;
  }
}

}  // namespace
}  // namespace sabot
