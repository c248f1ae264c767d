// JoinSpec: what a join matches on -- type, key pairs, residual predicate, suffix for
// clashing names. Plain data carried by plans; ops/join_layout.h resolves it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sabot/common/errors.h"
#include "sabot/expr/expr.h"

namespace sabot {

//! kRightSemi / kRightAnti: the right input's rows that have / have not an equal-key left
//! row (DuckDB's RIGHT_SEMI / RIGHT_ANTI): semi and anti with the sides' roles swapped, so
//! the hash table is built on the filtered side. The optimizer picks them when a semi or
//! anti join's right input is much larger than its left (join_build_side.h).
enum class JoinType : uint8_t { kInner, kLeft, kRight, kFull, kSemi, kAnti, kRightSemi, kRightAnti };

//! "inner", "left", "right", "full", "semi", "anti", "right_semi", "right_anti".
std::string_view ToString(JoinType t);
//! Inverse of ToString; the error lists the valid names.
Result<JoinType> ParseJoinType(std::string_view name);

struct JoinSpec {
  JoinType type = JoinType::kInner;
  //! Same length >= 1; pairwise equal types, or both integer types (compared as int64).
  std::vector<std::string> left_keys, right_keys;
  //! Extra predicate over the output columns (names after suffixing) for non-equi
  //! conditions; a candidate pair matches only when it is true (null is not true).
  std::optional<Expr> residual;
  //! Appended to right column names that clash with left names.
  std::string right_suffix = "_right";
  //! The output columns the join emits (names after suffixing, in output order), where
  //! the plan above uses only these: a hash join then gathers no other column for its
  //! matches (a key column or a build column nothing reads would be copied per match).
  //! Unset: every output column. Hash joins only (projection_pushdown.h sets it).
  std::optional<std::vector<std::string>> output_columns;
  //! Streaming: emit the result as a changelog (ops/changelog_join.h) even over bounded
  //! inputs; the planner does so anyway where an input never ends (UsesChangelogJoin).
  bool changelog = false;
  //! Changelog join only: held rows whose `time_column` value is this far (in event
  //! time) behind the watermark leave state. 0: never.
  int64_t state_ttl_us = 0;
  std::string time_column;
};

//! Left (probe) rows that find no match are kept: left, full, anti.
bool KeepsUnmatchedLeft(JoinType t);
//! Right (build) rows that find no match are emitted at the end: right, full.
bool KeepsUnmatchedRight(JoinType t);
//! Output has the left columns only: semi, anti.
bool OutputsLeftOnly(JoinType t);
//! Output has the right columns only, under their own names: right_semi, right_anti. The
//! hash join emits them at the end from the build rows it marked while probing.
bool OutputsRightOnly(JoinType t);

}  // namespace sabot
