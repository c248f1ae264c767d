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

namespace {

// Converts values[0, count) within 2^51 (else returns false) and divides them by
// `divisor`, four values a step. The division is most of the cost, and the divider takes
// a packed division in about the time of a scalar one, so with AVX (the copy compiled for
// it runs where the CPU has it) this is four times faster than one value at a time, and
// twice without. There is no packed int64 to double conversion before AVX-512, so a value
// within 2^51 becomes one exactly by adding it to the bits of 1.5 * 2^52 and subtracting
// that double.
// Always inlined, so that each caller below compiles it for its own target.
inline __attribute__((always_inline)) bool DivideWithin2To51Body(const int64_t* values, int64_t count,
                                                                 double divisor, double* out) {
  using Unsigned = uint64_t __attribute__((vector_size(32)));
  using Doubles = double __attribute__((vector_size(32)));
  constexpr int64_t kWithin = int64_t{1} << 51;
  constexpr int64_t kMagicBits = 0x4338000000000000;  // the double 1.5 * 2^52
  constexpr double kMagic = 6755399441055744.0;
  Unsigned outside = {};
  for (int64_t i = 0; i + 4 <= count; i += 4) {
    // Unsigned lanes: the additions wrap for values outside (then discarded), where signed
    // ones would overflow.
    Unsigned v;
    std::memcpy(&v, values + i, sizeof v);
    // v + 2^51 in [0, 2^52) unless v is outside: a shift, not a compare, which SSE2 lacks.
    outside |= (v + static_cast<uint64_t>(kWithin)) >> 52;
    const Unsigned bits = v + static_cast<uint64_t>(kMagicBits);
    Doubles d;
    std::memcpy(&d, &bits, sizeof d);
    const Doubles q = (d - kMagic) / divisor;
    std::memcpy(out + i, &q, sizeof q);
  }
  return (outside[0] | outside[1] | outside[2] | outside[3]) == 0;
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) bool DivideWithin2To51Avx2(const int64_t* values, int64_t count, double divisor,
                                                            double* out) {
  return DivideWithin2To51Body(values, count, divisor, out);
}
#endif

bool DivideWithin2To51(const int64_t* values, int64_t count, double divisor, double* out) {
#if defined(__x86_64__)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return DivideWithin2To51Avx2(values, count, divisor, out);
#endif
  return DivideWithin2To51Body(values, count, divisor, out);
}

}  // namespace

void UnscaledToFloat64::Convert(const int64_t* unscaled, int64_t count, double* out) const {
  // The same doubles as operator() gives: when a value is not within 2^51, or the scale
  // has no exact power of ten, all are converted again one by one.
  const int64_t packed = count - count % 4;
  if (exact_scale_ && DivideWithin2To51(unscaled, packed, divisor_, out)) {
    for (int64_t i = packed; i < count; ++i) out[i] = (*this)(unscaled[i]);
    return;
  }
  for (int64_t i = 0; i < count; ++i) out[i] = (*this)(unscaled[i]);
}

void UnscaledToFloat64::Convert(const int32_t* unscaled, int64_t count, double* out) const {
  if (!exact_scale_) {
    for (int64_t i = 0; i < count; ++i) out[i] = Slow(unscaled[i]);
    return;
  }
  const double divisor = divisor_;  // every int32 is an exact double
  for (int64_t i = 0; i < count; ++i) out[i] = static_cast<double>(unscaled[i]) / divisor;
}

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
