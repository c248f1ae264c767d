// MakeTemporalJoin: a TemporalJoinSpec as an as-of join with an optional changelog op
// column.
#include "sabot/ops/temporal_join.h"

#include <arrow/api.h>

#include "sabot/common/type_names.h"
#include "sabot/ops/asof_join.h"

namespace sabot {

Result<std::unique_ptr<Operator>> MakeTemporalJoin(const std::shared_ptr<arrow::Schema>& left,
                                                   const std::shared_ptr<arrow::Schema>& right,
                                                   const TemporalJoinSpec& spec) {
  int op_column = -1;
  if (!spec.op_column.empty()) {
    op_column = right->GetFieldIndex(spec.op_column);
    if (op_column < 0) {
      return Status::KeyError("temporal join: op column '", spec.op_column, "' is not a right column (columns: ",
                              JoinNames(right->field_names()), ")");
    }
    const auto& type = *right->field(op_column)->type();
    if (type.id() != arrow::Type::STRING) {
      return Status::TypeError("temporal join: op column '", spec.op_column, "' is ", FormatDataType(type),
                               "; expected string (insert, update_before, update_after, delete)");
    }
  }
  AsofJoinSpec asof;
  asof.type = spec.type;
  asof.left_keys = spec.left_keys;
  asof.right_keys = spec.right_keys;
  asof.left_time = spec.left_time;
  asof.right_time = spec.version_time;
  asof.right_suffix = spec.right_suffix;
  return AsofJoinOperator::Make(left, right, asof, "TemporalJoin", "temporal join", "version time column",
                                op_column);
}

}  // namespace sabot
