// AsofJoinSpec: for each left row, the latest right row of the same key at or before the
// left row's event time. Plain data carried by plans.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sabot/plan/join_spec.h"

namespace sabot {

//! Left rows meet the right row with equal keys and the greatest
//!   right.right_time <= left.left_time  (and >= left.left_time - tolerance_us, if set).
//! Among right rows of one key and time, the one that arrived last counts.
struct AsofJoinSpec {
  //! kInner drops left rows without a match; kLeft keeps them with null right columns.
  JoinType type = JoinType::kInner;
  //! Same length >= 1; pairwise the same type.
  std::vector<std::string> left_keys, right_keys;
  std::string left_time, right_time;  //!< timestamp columns (any unit)
  //! How far back a match may lie (>= 0); none: any distance.
  std::optional<int64_t> tolerance_us;
  //! Appended to right column names that clash with left names.
  std::string right_suffix = "_right";
};

}  // namespace sabot
