// Explode via Arrow's list_parent_indices + list_flatten, then one Take per column.
#include "sabot/ops/explode.h"

#include <arrow/api.h>
#include <arrow/compute/api.h>

#include "sabot/common/type_names.h"
#include "sabot/expr/bind.h"

namespace sabot {

namespace cp = arrow::compute;

Result<std::shared_ptr<arrow::RecordBatch>> ExplodeOperator::Transform(
    const std::shared_ptr<arrow::RecordBatch>& batch) {
  const auto& lists = batch->column(column_);
  ARROW_ASSIGN_OR_RAISE(auto parents, cp::CallFunction("list_parent_indices", {lists}));
  ARROW_ASSIGN_OR_RAISE(auto values, cp::CallFunction("list_flatten", {lists}));
  auto indices = parents.make_array();
  std::vector<std::shared_ptr<arrow::Array>> columns;
  columns.reserve(batch->num_columns());
  for (int i = 0; i < batch->num_columns(); ++i) {
    if (i == column_) {
      columns.push_back(values.make_array());
    } else {
      ARROW_ASSIGN_OR_RAISE(auto taken, cp::Take(batch->column(i), indices));
      columns.push_back(taken.make_array());
    }
  }
  return arrow::RecordBatch::Make(output_schema(), indices->length(), std::move(columns));
}

Result<std::unique_ptr<ExplodeOperator>> MakeExplode(const std::shared_ptr<arrow::Schema>& input,
                                                     const std::string& column) {
  ARROW_RETURN_NOT_OK(EnsureComputeInitialized());
  int index = input->GetFieldIndex(column);
  if (index < 0) {
    return Status::KeyError("cannot explode column '", column, "': it does not exist; the columns are: ",
                            JoinNames(FieldNames(*input)));
  }
  const auto& type = input->field(index)->type();
  if (type->id() != arrow::Type::LIST && type->id() != arrow::Type::LARGE_LIST) {
    return Status::TypeError("cannot explode column '", column, "': expected a list, found ",
                             FormatDataType(*type));
  }
  auto value_type = static_cast<const arrow::BaseListType&>(*type).value_type();
  ARROW_ASSIGN_OR_RAISE(auto schema, input->SetField(index, arrow::field(column, value_type)));
  return std::make_unique<ExplodeOperator>(std::move(schema), index);
}

}  // namespace sabot
