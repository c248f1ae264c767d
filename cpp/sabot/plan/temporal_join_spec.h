// TemporalJoinSpec: a stream joined with a versioned table -- each stream row with the
// table's row of its key as it was at the stream row's event time. Plain data carried by
// plans.
#pragma once

#include <string>
#include <vector>

#include "sabot/plan/join_spec.h"

namespace sabot {

//! The right input is the table's history: each row is the key's version from
//! `version_time` on, until a row of the key with a later version time replaces it. With
//! `op_column` it is a changelog: insert and update_after rows are versions, a delete
//! row ends the key's version (no match from its time on), update_before rows are
//! ignored. A left row at time t meets the version valid at t: the right row of its key
//! with the greatest version time <= t (of one key and time, the last to arrive).
struct TemporalJoinSpec {
  //! kInner drops left rows without a valid version; kLeft keeps them with nulls.
  JoinType type = JoinType::kInner;
  //! Same length >= 1; pairwise the same type.
  std::vector<std::string> left_keys, right_keys;
  std::string left_time;     //!< the stream's event time (a timestamp column)
  std::string version_time;  //!< the table's version time (a timestamp column)
  std::string op_column;     //!< a string column of changelog ops; empty: every row is a version
  //! Appended to right column names that clash with left names.
  std::string right_suffix = "_right";
};

}  // namespace sabot
