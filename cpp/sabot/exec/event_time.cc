// Event-time helpers: timestamp columns read as microseconds since the epoch.
#include "sabot/exec/event_time.h"

#include <algorithm>

#include <arrow/api.h>

#include "sabot/common/type_names.h"

namespace sabot {

Status ReadEventTimes(const arrow::Array& column, const std::string& what, std::vector<int64_t>* out) {
  if (column.null_count() > 0) {
    int64_t row = 0;
    while (column.IsValid(row)) ++row;
    return Status::Invalid(what, " has a null event time at row ", row);
  }
  const auto& timestamps = static_cast<const arrow::TimestampArray&>(column);
  const auto unit = static_cast<const arrow::TimestampType&>(*column.type()).unit();
  const int64_t* values = timestamps.raw_values();
  const int64_t n = column.length();
  out->resize(static_cast<size_t>(n));
  int64_t* times = out->data();
  switch (unit) {
    case arrow::TimeUnit::MICRO:
      std::copy(values, values + n, times);
      return Status::OK();
    case arrow::TimeUnit::NANO:
      for (int64_t i = 0; i < n; ++i) times[i] = FloorDiv(values[i], 1000);
      return Status::OK();
    case arrow::TimeUnit::MILLI:
    case arrow::TimeUnit::SECOND: {
      const int64_t factor = unit == arrow::TimeUnit::MILLI ? 1000 : 1000000;
      bool overflow = false;
      for (int64_t i = 0; i < n; ++i) overflow |= __builtin_mul_overflow(values[i], factor, &times[i]);
      if (overflow) return Status::Invalid(what, ": an event time does not fit in int64 microseconds");
      return Status::OK();
    }
  }
  return Status::OK();
}

Result<int> ResolveTimeColumn(const arrow::Schema& schema, const std::string& name, const std::string& what) {
  const auto indices = schema.GetAllFieldIndices(name);
  if (indices.empty()) {
    return Status::Invalid(what, " '", name, "' does not exist; the columns are: ", JoinNames(schema.field_names()));
  }
  if (indices.size() > 1) {
    return Status::Invalid(what, " name '", name, "' is ambiguous, the input has it ", indices.size(), " times");
  }
  const auto& type = *schema.field(indices[0])->type();
  if (type.id() != arrow::Type::TIMESTAMP) {
    return Status::TypeError(what, " '", name, "': expected a timestamp, found ", FormatDataType(type));
  }
  return indices[0];
}

}  // namespace sabot
