// Filter over whole batches with Arrow's selection kernel.
#include "sabot/ops/filter.h"

#include <algorithm>

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>

namespace sabot {

Status FilterOperator::KeepOnly(std::vector<int> columns) {
  SABOT_CHECK(keep_.empty() && !columns.empty() && std::is_sorted(columns.begin(), columns.end()) &&
              columns.front() >= 0 && columns.back() < output_schema()->num_fields());
  arrow::FieldVector kept;
  for (int c : columns) kept.push_back(output_schema()->field(c));
  ARROW_RETURN_NOT_OK(NarrowOutputSchema(arrow::schema(std::move(kept), output_schema()->metadata())));
  keep_ = std::move(columns);
  return Status::OK();
}

Result<std::shared_ptr<arrow::RecordBatch>> FilterOperator::Transform(
    const std::shared_ptr<arrow::RecordBatch>& batch) {
  std::shared_ptr<arrow::RecordBatch> out = batch;
  if (!keep_.empty()) {
    ARROW_ASSIGN_OR_RAISE(out, batch->SelectColumns(keep_));
  }
  if (batch->num_rows() == 0) return out;  // empty batches keep flowing with their schema
  ARROW_ASSIGN_OR_RAISE(auto mask_array, predicate_.Mask(*batch));
  const auto& mask = static_cast<const arrow::BooleanArray&>(*mask_array);
  const int64_t selected = mask.true_count();
  // Skip the copy when nothing or everything is selected.
  if (selected == 0) return nullptr;
  if (selected == batch->num_rows()) return out;
  ARROW_ASSIGN_OR_RAISE(auto filtered, arrow::compute::Filter(out, mask_array));
  return filtered.record_batch();
}

Result<std::unique_ptr<FilterOperator>> MakeFilter(const std::shared_ptr<arrow::Schema>& schema,
                                                   const Expr& predicate) {
  ARROW_ASSIGN_OR_RAISE(auto bound, BindPredicate(schema, predicate));
  return std::make_unique<FilterOperator>(schema, FilterPredicate(std::move(bound)));
}

Result<std::unique_ptr<FilterOperator>> MakeFilterOverDictionaries(const std::shared_ptr<arrow::Schema>& schema,
                                                                   const Expr& predicate) {
  ARROW_ASSIGN_OR_RAISE(auto bound, FilterPredicate::Make(schema, predicate));
  return std::make_unique<FilterOperator>(schema, std::move(bound));
}

}  // namespace sabot
