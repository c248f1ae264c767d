// Event-time arithmetic shared by the windowed and time-bounded operators: reading a
// timestamp column as microseconds, and sums that saturate at the edges of time.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"

namespace sabot {

//! Division rounding toward negative infinity (window starts before the epoch).
inline int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

//! a + b clamped to int64: window ends and end + lateness near the edges of time must
//! not wrap around.
inline int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum;
  if (__builtin_add_overflow(a, b, &sum)) {
    return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  }
  return sum;
}

//! Reads a timestamp column (any unit) as microseconds since the epoch into `out`;
//! nanoseconds round down. `what` names the column in errors ("window time column 'ts'").
//! A null event time is an error.
Status ReadEventTimes(const arrow::Array& column, const std::string& what, std::vector<int64_t>* out);

//! Finds the one column named `name` and checks it is a timestamp; `what` names its
//! role in errors ("window time column").
Result<int> ResolveTimeColumn(const arrow::Schema& schema, const std::string& name, const std::string& what);

}  // namespace sabot
