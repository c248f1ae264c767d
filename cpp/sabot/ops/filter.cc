// Filter over whole batches with Arrow's selection kernel.
#include "sabot/ops/filter.h"

#include <algorithm>

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>
#include <arrow/util/bit_util.h>

#include "sabot/common/type_names.h"

namespace sabot {

Result<std::shared_ptr<arrow::Array>> FilterOperator::Selection(const arrow::RecordBatch& batch) const {
  if (dictionary_.empty()) return predicate_->Evaluate(batch);
  const int64_t n = batch.num_rows();
  std::vector<uint8_t> keep(static_cast<size_t>(n), 1);
  if (predicate_) {
    ARROW_ASSIGN_OR_RAISE(auto rest, predicate_->Evaluate(batch));
    const auto& holds = static_cast<const arrow::BooleanArray&>(*rest);
    for (int64_t i = 0; i < n; ++i) keep[static_cast<size_t>(i)] = holds.IsValid(i) && holds.Value(i);
  }
  for (const auto& conjunct : dictionary_) ARROW_RETURN_NOT_OK(conjunct.Apply(batch, keep.data()));
  ARROW_ASSIGN_OR_RAISE(auto bitmap, arrow::AllocateBitmap(n));
  uint8_t* bits = bitmap->mutable_data();
  for (int64_t i = 0; i < n; ++i) arrow::bit_util::SetBitTo(bits, i, keep[static_cast<size_t>(i)] != 0);
  return std::make_shared<arrow::BooleanArray>(n, std::move(bitmap));
}

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
  ARROW_ASSIGN_OR_RAISE(auto mask_array, Selection(*batch));
  const auto& mask = static_cast<const arrow::BooleanArray&>(*mask_array);
  const int64_t selected = mask.true_count();
  // Skip the copy when nothing or everything is selected.
  if (selected == 0) return nullptr;
  if (selected == batch->num_rows()) return out;
  ARROW_ASSIGN_OR_RAISE(auto filtered, arrow::compute::Filter(out, mask_array));
  return filtered.record_batch();
}

Result<BoundExpr> BindPredicate(const std::shared_ptr<arrow::Schema>& schema, const Expr& predicate) {
  ARROW_ASSIGN_OR_RAISE(auto bound, Bind(predicate, schema));
  if (bound.type()->id() != arrow::Type::BOOL) {
    return Status::TypeError("filter predicate `", predicate.ToString(), "` must be boolean, found ",
                             FormatDataType(*bound.type()));
  }
  return bound;
}

Result<std::unique_ptr<FilterOperator>> MakeFilter(const std::shared_ptr<arrow::Schema>& schema,
                                                   const Expr& predicate) {
  ARROW_ASSIGN_OR_RAISE(auto bound, BindPredicate(schema, predicate));
  return std::make_unique<FilterOperator>(schema, std::move(bound));
}

Result<std::unique_ptr<FilterOperator>> MakeFilterOverDictionaries(const std::shared_ptr<arrow::Schema>& schema,
                                                                   const Expr& predicate) {
  std::vector<Expr> rest;
  std::vector<DictionaryPredicate> dictionary;
  for (const auto& conjunct : Conjuncts(predicate)) {
    const auto refs = conjunct.ColumnRefs();
    const int column = refs.size() == 1 ? schema->GetFieldIndex(refs.front()) : -1;
    if (column >= 0 && schema->field(column)->type()->id() == arrow::Type::DICTIONARY) {
      ARROW_ASSIGN_OR_RAISE(auto bound, DictionaryPredicate::Make(conjunct, schema, column));
      dictionary.push_back(std::move(bound));
    } else {
      rest.push_back(conjunct);
    }
  }
  if (dictionary.empty()) return MakeFilter(schema, predicate);
  std::optional<BoundExpr> bound_rest;
  if (!rest.empty()) {
    ARROW_ASSIGN_OR_RAISE(bound_rest, BindPredicate(schema, AndAll(rest)));
  }
  return std::make_unique<FilterOperator>(schema, std::move(bound_rest), std::move(dictionary));
}

}  // namespace sabot
