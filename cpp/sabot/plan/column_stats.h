// What a file's metadata tells of one of its columns: read by the sources that can
// (ParquetSource::ColumnStatistics), used by the optimizer's row estimates.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

namespace sabot {

struct ColumnStats {
  //! Distinct values, of a string column whose first row group's dictionary holds them:
  //! an equality test keeps about one row in that many.
  std::optional<int64_t> distinct;
  //! The smallest and largest value, of a number or date column (dates in days, decimals
  //! scaled): a range test keeps about its overlap with them.
  std::optional<std::pair<double, double>> range;
};

}  // namespace sabot
