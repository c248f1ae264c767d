// JoinSpec: what a join matches on (type, key pairs, residual predicate, suffix), and its
// resolution against the two input schemas.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"
#include "sabot/expr/expr.h"

namespace sabot {

enum class JoinType : uint8_t { kInner, kLeft, kRight, kFull, kSemi, kAnti };

//! "inner", "left", "right", "full", "semi", "anti".
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
};

//! Left (probe) rows that find no match are kept: left, full, anti.
bool KeepsUnmatchedLeft(JoinType t);
//! Right (build) rows that find no match are emitted at the end: right, full.
bool KeepsUnmatchedRight(JoinType t);
//! Output has the left columns only: semi, anti.
bool OutputsLeftOnly(JoinType t);

//! A JoinSpec checked against the input schemas.
struct JoinLayout {
  std::vector<int> left_key_indices, right_key_indices;
  //! Left columns then right columns (suffixed on clash); the side that may be missing
  //! (right for left/full, left for right/full) is nullable. The residual binds to it.
  std::shared_ptr<arrow::Schema> joined_schema;
  //! joined_schema, or the left schema for semi/anti.
  std::shared_ptr<arrow::Schema> output_schema;
};

//! Errors: mismatched or zero key counts, an unknown key column (named, with the columns
//! of that side), key types that differ or cannot be hashed ("join key 0: left a is
//! int64, right b is string").
Result<JoinLayout> ResolveJoin(const std::shared_ptr<arrow::Schema>& left,
                               const std::shared_ptr<arrow::Schema>& right, const JoinSpec& spec);

}  // namespace sabot
