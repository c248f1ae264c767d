// MapBatches; errors keep their detail (a Python exception travels in it).
#include "sabot/ops/map_batches.h"

#include <arrow/array.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>

namespace sabot {

Result<std::shared_ptr<arrow::RecordBatch>> MapBatchesOperator::Transform(
    const std::shared_ptr<arrow::RecordBatch>& batch) {
  auto out = function_->Call(batch);
  if (!out.ok()) {
    return out.status().WithMessage("in map_batches(", function_->name(), "): ", out.status().message());
  }
  if (*out == nullptr) {
    return Status::Invalid("in map_batches(", function_->name(), "): the function returned no batch");
  }
  return ConformToSchema(std::move(*out));
}

// Names and types must match what the function announced; nullability may differ (a
// declared schema is usually nullable, a source's columns often are not), as long as
// no null lands in a column announced as not nullable.
Result<std::shared_ptr<arrow::RecordBatch>> MapBatchesOperator::ConformToSchema(
    std::shared_ptr<arrow::RecordBatch> batch) const {
  const auto& want = *output_schema();
  const auto& got = *batch->schema();
  if (got.Equals(want, /*check_metadata=*/false)) return batch;
  bool same_columns = got.num_fields() == want.num_fields();
  for (int i = 0; same_columns && i < want.num_fields(); ++i) {
    const auto& w = *want.field(i);
    same_columns = got.field(i)->name() == w.name() && got.field(i)->type()->Equals(*w.type()) &&
                   (w.nullable() || batch->column(i)->null_count() == 0);
  }
  if (!same_columns) {
    return Status::TypeError("in map_batches(", function_->name(), "): the function returned columns ",
                             got.ToString(), " but announced ", want.ToString());
  }
  return batch->ReplaceSchema(output_schema());
}

Result<std::unique_ptr<MapBatchesOperator>> MakeMapBatches(const std::shared_ptr<arrow::Schema>& input,
                                                           std::shared_ptr<BatchFunction> function) {
  auto schema = function->OutputSchema(input);
  if (!schema.ok()) {
    return schema.status().WithMessage("map_batches(", function->name(), "): ", schema.status().message());
  }
  return std::make_unique<MapBatchesOperator>(std::move(*schema), std::move(function));
}

}  // namespace sabot
