// JoinLayout: a JoinSpec resolved against the two input schemas (key columns, output
// schema).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"
#include "sabot/plan/join_spec.h"

namespace sabot {

//! A JoinSpec checked against the input schemas.
struct JoinLayout {
  std::vector<int> left_key_indices, right_key_indices;
  //! Left columns then right columns (suffixed on clash); the side that may be missing
  //! (right for left/full, left for right/full) is nullable. The residual binds to it.
  std::shared_ptr<arrow::Schema> joined_schema;
  //! joined_schema, or the left schema for semi/anti, the right schema (unsuffixed) for
  //! right_semi/right_anti; only the spec's output_columns
  //! where it names them.
  std::shared_ptr<arrow::Schema> output_schema;
  //! The left and right input columns output_schema holds, in its order (left first).
  std::vector<int> left_output, right_output;
};

//! Errors: mismatched or zero key counts, an unknown key column (named, with the columns
//! of that side), key types that differ or cannot be hashed ("join key 0: left a is
//! int64, right b is string"), an output column the join does not have.
Result<JoinLayout> ResolveJoin(const std::shared_ptr<arrow::Schema>& left,
                               const std::shared_ptr<arrow::Schema>& right, const JoinSpec& spec);

}  // namespace sabot
