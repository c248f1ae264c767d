// decimal_to_float64: the cast of a decimal column to float64, as Sabot's own kernel.
#pragma once

#include <cstdint>

#include "sabot/common/errors.h"

namespace sabot {

//! The name of the function RegisterDecimalToFloat64 adds.
inline constexpr const char* kDecimalToFloat64 = "sabot_decimal_to_float64";

//! Adds sabot_decimal_to_float64(decimal32/64/128 array) to Arrow's function registry
//! once: each value as a double, null for null. A value whose unscaled integer has at most
//! 53 bits at a scale of at most 22 (every TPC-H value) converts with one int-to-double and
//! one division by an exact power of ten: the nearest double, what parsing the value's text
//! gives (and DuckDB's cast). Arrow's cast multiplies by an inexact 10^-scale instead,
//! which can land a unit in the last place off (198.95 becomes 198.95000000000002), and
//! spends most of a TPC-H scan's cast time in its general per-value conversion. Other
//! values take Arrow's conversion.
Status RegisterDecimalToFloat64();

//! The conversion sabot_decimal_to_float64 makes of decimal128 values at one scale, for
//! readers that hold the unscaled integers themselves (Parquet's INT32 and INT64
//! decimals): the same double for every value, bit for bit.
class UnscaledToFloat64 {
 public:
  explicit UnscaledToFloat64(int32_t scale);

  //! Whether `unscaled` takes the fast path (one int-to-double, one exact division);
  //! then *out is its value.
  bool Fast(int64_t unscaled, double* out) const {
    if (!exact_scale_ || unscaled > kMaxExactInteger || unscaled < -kMaxExactInteger) return false;
    *out = static_cast<double>(unscaled) / divisor_;
    return true;
  }
  //! The value of `unscaled` as a decimal128 at the scale: the fast path, else Arrow's.
  double operator()(int64_t unscaled) const {
    double out;
    return Fast(unscaled, &out) ? out : Slow(unscaled);
  }
  //! `count` values, as operator() converts each.
  void Convert(const int64_t* unscaled, int64_t count, double* out) const;
  void Convert(const int32_t* unscaled, int64_t count, double* out) const;

 private:
  // Integers up to 2^53 in magnitude are exact doubles.
  static constexpr int64_t kMaxExactInteger = int64_t{1} << 53;
  double Slow(int64_t unscaled) const;

  int32_t scale_;
  bool exact_scale_;
  double divisor_;
};

}  // namespace sabot
