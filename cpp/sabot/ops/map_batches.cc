// MapBatches; errors keep their detail (a Python exception travels in it).
#include "sabot/ops/map_batches.h"

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
  if (!(*out)->schema()->Equals(*output_schema(), /*check_metadata=*/false)) {
    return Status::TypeError("in map_batches(", function_->name(), "): the function returned columns ",
                             (*out)->schema()->ToString(), " but announced ", output_schema()->ToString());
  }
  return out;
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
