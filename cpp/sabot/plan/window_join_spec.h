// WindowJoinSpec: an equi-join of two streams within the same tumbling or sliding
// event-time window. Plain data carried by plans.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sabot {

//! Inner join of rows with equal keys that fall into the same window
//! [start, start + size_us), starts every slide_us from the epoch (slide_us == size_us:
//! tumbling). A pair of rows that share several sliding windows meets once per window.
struct WindowJoinSpec {
  //! Same length >= 1; pairwise the same type.
  std::vector<std::string> left_keys, right_keys;
  std::string left_time, right_time;  //!< timestamp columns (any unit)
  int64_t size_us = 0;
  int64_t slide_us = 0;  //!< 0 < slide_us <= size_us
  //! Appended to right column names that clash with left names.
  std::string right_suffix = "_right";
};

}  // namespace sabot
