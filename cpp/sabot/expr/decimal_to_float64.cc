// decimal_to_float64: one integer conversion and one division per value.
#include "sabot/expr/decimal_to_float64.h"

#include <cstdint>
#include <cstring>

#include <arrow/compute/api.h>
#include <arrow/compute/registry.h>
#include <arrow/type.h>
#include <arrow/util/decimal.h>

namespace sabot {

namespace cp = arrow::compute;

namespace {

// Powers of ten that are exact doubles (10^22 is the last).
constexpr int kMaxExactScale = 22;
constexpr double kPow10[kMaxExactScale + 1] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                                1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                                1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
// The unscaled value of decimal i when it fits in int64 (else false), and Arrow's
// conversion of it (the slow path).
template <typename Decimal>
struct Values;

template <>
struct Values<arrow::Decimal32> {
  static constexpr int kWidth = 4;
  static bool Unscaled(const uint8_t* v, int64_t* out) {
    int32_t x;
    std::memcpy(&x, v, sizeof x);
    *out = x;
    return true;
  }
  static double ToDouble(const uint8_t* v, int32_t scale) { return arrow::Decimal32(v).ToDouble(scale); }
};

template <>
struct Values<arrow::Decimal64> {
  static constexpr int kWidth = 8;
  static bool Unscaled(const uint8_t* v, int64_t* out) {
    std::memcpy(out, v, sizeof *out);
    return true;
  }
  static double ToDouble(const uint8_t* v, int32_t scale) { return arrow::Decimal64(v).ToDouble(scale); }
};

template <>
struct Values<arrow::Decimal128> {
  static constexpr int kWidth = 16;
  static bool Unscaled(const uint8_t* v, int64_t* out) {
    // Little-endian: the low word, then the high word, which is only the low word's sign
    // extension when the value fits in int64.
    uint64_t low;
    int64_t high;
    std::memcpy(&low, v, sizeof low);
    std::memcpy(&high, v + 8, sizeof high);
    *out = static_cast<int64_t>(low);
    return high == (*out >> 63);
  }
  static double ToDouble(const uint8_t* v, int32_t scale) { return arrow::Decimal128(v).ToDouble(scale); }
};

template <typename Decimal>
Status Exec(cp::KernelContext*, const cp::ExecSpan& batch, cp::ExecResult* out) {
  using V = Values<Decimal>;
  const arrow::ArraySpan& in = batch[0].array;
  const int32_t scale = static_cast<const arrow::DecimalType&>(*in.type).scale();
  const uint8_t* values = in.buffers[1].data + in.offset * V::kWidth;
  double* results = out->array_span_mutable()->GetValues<double>(1);
  const UnscaledToFloat64 convert(scale);
  for (int64_t i = 0; i < in.length; ++i) {
    const uint8_t* v = values + i * V::kWidth;
    int64_t unscaled;
    if (!V::Unscaled(v, &unscaled) || !convert.Fast(unscaled, &results[i])) {
      results[i] = V::ToDouble(v, scale);  // also a null slot's bits: any value will do
    }
  }
  return Status::OK();
}

const cp::FunctionDoc kDoc{"Cast decimals to float64", "The nearest double of each value; null for null.",
                           {"decimals"}};

}  // namespace

UnscaledToFloat64::UnscaledToFloat64(int32_t scale)
    : scale_(scale),
      exact_scale_(scale >= 0 && scale <= kMaxExactScale),
      divisor_(exact_scale_ ? kPow10[scale] : 1.0) {}

double UnscaledToFloat64::Slow(int64_t unscaled) const { return arrow::Decimal128(unscaled).ToDouble(scale_); }

Status RegisterDecimalToFloat64() {
  static const Status status = [] {
    auto function = std::make_shared<cp::ScalarFunction>(kDecimalToFloat64, cp::Arity::Unary(), kDoc);
    ARROW_RETURN_NOT_OK(function->AddKernel({cp::InputType(arrow::Type::DECIMAL32)}, arrow::float64(),
                                            Exec<arrow::Decimal32>));
    ARROW_RETURN_NOT_OK(function->AddKernel({cp::InputType(arrow::Type::DECIMAL64)}, arrow::float64(),
                                            Exec<arrow::Decimal64>));
    ARROW_RETURN_NOT_OK(function->AddKernel({cp::InputType(arrow::Type::DECIMAL128)}, arrow::float64(),
                                            Exec<arrow::Decimal128>));
    return cp::GetFunctionRegistry()->AddFunction(std::move(function), /*allow_overwrite=*/false);
  }();
  return status;
}

}  // namespace sabot
