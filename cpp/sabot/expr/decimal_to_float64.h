// decimal_to_float64: the cast of a decimal column to float64, as Sabot's own kernel.
#pragma once

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

}  // namespace sabot
