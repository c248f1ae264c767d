// FilterPredicate: a filter's predicate as it is evaluated over batches.
#include "sabot/ops/filter_predicate.h"

#include <arrow/api.h>
#include <arrow/util/bit_run_reader.h>
#include <arrow/util/bit_util.h>
#include <arrow/util/bitmap_ops.h>

#include "sabot/common/type_names.h"

namespace sabot {

Result<BoundExpr> BindPredicate(const std::shared_ptr<arrow::Schema>& schema, const Expr& predicate) {
  ARROW_ASSIGN_OR_RAISE(auto bound, Bind(predicate, schema));
  if (bound.type()->id() != arrow::Type::BOOL) {
    return Status::TypeError("filter predicate `", predicate.ToString(), "` must be boolean, found ",
                             FormatDataType(*bound.type()));
  }
  return bound;
}

Result<FilterPredicate> FilterPredicate::Make(const std::shared_ptr<arrow::Schema>& schema, const Expr& predicate) {
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
  if (dictionary.empty()) {
    // Bound whole, so that a type error quotes the predicate as the user wrote it.
    ARROW_ASSIGN_OR_RAISE(auto bound, BindPredicate(schema, predicate));
    return FilterPredicate(std::move(bound));
  }
  std::optional<BoundExpr> bound_rest;
  if (!rest.empty()) {
    ARROW_ASSIGN_OR_RAISE(bound_rest, BindPredicate(schema, AndAll(rest)));
  }
  return FilterPredicate(std::move(bound_rest), std::move(dictionary));
}

Result<std::vector<uint8_t>> FilterPredicate::Keep(const arrow::RecordBatch& batch) const {
  const int64_t n = batch.num_rows();
  std::vector<uint8_t> keep(static_cast<size_t>(n), 1);
  if (rest_) {
    ARROW_ASSIGN_OR_RAISE(auto rest, rest_->Evaluate(batch));
    const auto& holds = static_cast<const arrow::BooleanArray&>(*rest);
    for (int64_t i = 0; i < n; ++i) keep[static_cast<size_t>(i)] = holds.IsValid(i) && holds.Value(i);
  }
  for (const auto& conjunct : dictionary_) ARROW_RETURN_NOT_OK(conjunct.Apply(batch, keep.data()));
  return keep;
}

Result<std::shared_ptr<arrow::Array>> FilterPredicate::Mask(const arrow::RecordBatch& batch) const {
  if (dictionary_.empty()) return rest_->Evaluate(batch);
  ARROW_ASSIGN_OR_RAISE(const auto keep, Keep(batch));
  const int64_t n = batch.num_rows();
  ARROW_ASSIGN_OR_RAISE(auto bitmap, arrow::AllocateBitmap(n));
  uint8_t* bits = bitmap->mutable_data();
  for (int64_t i = 0; i < n; ++i) arrow::bit_util::SetBitTo(bits, i, keep[static_cast<size_t>(i)] != 0);
  return std::make_shared<arrow::BooleanArray>(n, std::move(bitmap));
}

Result<std::vector<int32_t>> FilterPredicate::Select(const arrow::RecordBatch& batch) const {
  if (dictionary_.empty()) {
    ARROW_ASSIGN_OR_RAISE(auto mask, rest_->Evaluate(batch));
    return SelectedRows(*mask);
  }
  ARROW_ASSIGN_OR_RAISE(const auto keep, Keep(batch));
  // Branch-free: each row is written, and the next one overwrites it unless it passed.
  std::vector<int32_t> rows(keep.size() + 1);
  size_t count = 0;
  for (size_t i = 0; i < keep.size(); ++i) {
    rows[count] = static_cast<int32_t>(i);
    count += keep[i];
  }
  rows.resize(count);
  return rows;
}

std::vector<int32_t> SelectedRows(const arrow::Array& mask) {
  const auto& data = *mask.data();
  const int64_t n = data.length;
  std::vector<int32_t> rows;
  if (n == 0) return rows;
  const uint8_t* values = data.buffers[1]->data();
  int64_t offset = data.offset;
  // A null is not true: AND the validity in first.
  std::shared_ptr<arrow::Buffer> both;
  if (data.buffers[0] != nullptr && mask.null_count() > 0) {
    both = *arrow::internal::BitmapAnd(arrow::default_memory_pool(), values, offset, data.buffers[0]->data(),
                                       offset, n, /*out_offset=*/0);
    values = both->data();
    offset = 0;
  }
  rows.reserve(static_cast<size_t>(arrow::internal::CountSetBits(values, offset, n)));
  arrow::internal::SetBitRunReader runs(values, offset, n);
  for (auto run = runs.NextRun(); run.length > 0; run = runs.NextRun()) {
    for (int64_t i = run.position; i < run.position + run.length; ++i) rows.push_back(static_cast<int32_t>(i));
  }
  return rows;
}

}  // namespace sabot
