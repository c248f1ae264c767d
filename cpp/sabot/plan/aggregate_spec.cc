// Names of the aggregate functions, as written in plans.
#include "sabot/plan/aggregate_spec.h"

#include <array>
#include <vector>

namespace sabot {

namespace {

constexpr std::array<std::pair<AggregateFunction, std::string_view>, 11> kNames = {{
    {AggregateFunction::kCount, "count"},
    {AggregateFunction::kCountAll, "count_all"},
    {AggregateFunction::kSum, "sum"},
    {AggregateFunction::kMin, "min"},
    {AggregateFunction::kMax, "max"},
    {AggregateFunction::kMean, "mean"},
    {AggregateFunction::kVariance, "var"},
    {AggregateFunction::kStddev, "stddev"},
    {AggregateFunction::kCountDistinct, "count_distinct"},
    {AggregateFunction::kFirst, "first"},
    {AggregateFunction::kLast, "last"},
}};

}  // namespace

std::string_view ToString(AggregateFunction f) {
  for (const auto& [function, name] : kNames) {
    if (function == f) return name;
  }
  return "unknown";
}

Result<AggregateFunction> ParseAggregateFunction(std::string_view name) {
  std::vector<std::string> valid;
  for (const auto& [function, function_name] : kNames) {
    if (function_name == name) return function;
    valid.emplace_back(function_name);
  }
  return Status::Invalid("unknown aggregate function '", name, "'; the functions are: ",
                         JoinNames(valid));
}

std::string DisplayName(const AggregateSpec& spec) {
  if (spec.function == AggregateFunction::kCountAll) return "count(*)";
  return std::string(ToString(spec.function)) + "(" + spec.column + ")";
}

}  // namespace sabot
