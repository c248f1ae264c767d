// AggregateSpec: the plain-data description of one aggregate (function, input column,
// output name) and the function names used in plans.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sabot/common/errors.h"

namespace sabot {

enum class AggregateFunction : uint8_t {
  kCount,          //!< non-null values
  kCountAll,       //!< rows (SQL count(*)); takes no column
  kSum,            //!< integers -> int64 (overflow is an error), floating -> float64
  kMin,            //!< keeps the input type
  kMax,            //!< keeps the input type
  kMean,           //!< float64
  kVariance,       //!< sample variance (n - 1), float64
  kStddev,         //!< sample standard deviation (n - 1), float64
  kCountDistinct,  //!< distinct non-null values
  kFirst,          //!< first value in input order, null included
  kLast,           //!< last value in input order, null included
};

//! "count", "count_all", "sum", "min", "max", "mean", "var", "stddev",
//! "count_distinct", "first", "last".
std::string_view ToString(AggregateFunction f);

//! The inverse of ToString; an unknown name is an error that lists the valid names.
Result<AggregateFunction> ParseAggregateFunction(std::string_view name);

struct AggregateSpec {
  AggregateFunction function;
  std::string column;       //!< input column; empty for count_all
  std::string output_name;  //!< empty: "sum(x)", or "count(*)" for count_all
};

//! How the aggregate reads in messages and default names: "sum(x)", "count(*)".
std::string DisplayName(const AggregateSpec& spec);

}  // namespace sabot
