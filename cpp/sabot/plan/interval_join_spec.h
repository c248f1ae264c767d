// IntervalJoinSpec: an equi-join on keys whose right row's event time must lie within a
// bounded interval around the left row's. Plain data carried by plans.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sabot {

//! Inner join of rows with equal keys where
//!   right.right_time BETWEEN left.left_time + lower_us AND left.left_time + upper_us
//! (both ends inclusive; lower_us <= upper_us, either may be negative).
struct IntervalJoinSpec {
  //! Same length >= 1; pairwise the same type.
  std::vector<std::string> left_keys, right_keys;
  std::string left_time, right_time;  //!< timestamp columns (any unit)
  int64_t lower_us = 0;
  int64_t upper_us = 0;
  //! Appended to right column names that clash with left names.
  std::string right_suffix = "_right";
};

}  // namespace sabot
