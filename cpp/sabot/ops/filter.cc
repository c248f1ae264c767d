// Filter over whole batches with Arrow's selection kernel.
#include "sabot/ops/filter.h"

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>

#include "sabot/common/type_names.h"

namespace sabot {

Result<std::shared_ptr<arrow::RecordBatch>> FilterOperator::Transform(
    const std::shared_ptr<arrow::RecordBatch>& batch) {
  if (batch->num_rows() == 0) return batch;  // empty batches keep flowing with their schema
  ARROW_ASSIGN_OR_RAISE(auto mask_array, predicate_.Evaluate(*batch));
  const auto& mask = static_cast<const arrow::BooleanArray&>(*mask_array);
  const int64_t selected = mask.true_count();
  // Skip the copy when nothing or everything is selected.
  if (selected == 0) return nullptr;
  if (selected == batch->num_rows()) return batch;
  ARROW_ASSIGN_OR_RAISE(auto filtered, arrow::compute::Filter(batch, mask_array));
  return filtered.record_batch();
}

Result<std::unique_ptr<FilterOperator>> MakeFilter(const std::shared_ptr<arrow::Schema>& schema,
                                                   const Expr& predicate) {
  ARROW_ASSIGN_OR_RAISE(auto bound, Bind(predicate, schema));
  if (bound.type()->id() != arrow::Type::BOOL) {
    return Status::TypeError("filter predicate `", predicate.ToString(), "` must be boolean, found ",
                             FormatDataType(*bound.type()));
  }
  return std::make_unique<FilterOperator>(schema, std::move(bound));
}

}  // namespace sabot
