// FilterPredicate: a filter's predicate as it is evaluated over batches.
#include "sabot/ops/filter_predicate.h"

#include <bit>

#include <arrow/api.h>
#include <arrow/util/bitmap_reader.h>
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
  // Word by word, one step per set bit (runs of a dense selection are short, and a run
  // reader pays per run). The words are read at the array's bit offset.
  rows.resize(static_cast<size_t>(arrow::internal::CountSetBits(values, offset, n)));
  int32_t* out = rows.data();
  arrow::internal::BitmapWordReader<uint64_t> words(values, offset, n);
  int64_t base = 0;
  for (int64_t w = words.words(); w > 0; --w, base += 64) {
    for (uint64_t word = words.NextWord(); word != 0; word &= word - 1) {
      *out++ = static_cast<int32_t>(base + std::countr_zero(word));
    }
  }
  for (int t = words.trailing_bytes(); t > 0; --t, base += 8) {
    int valid_bits = 0;
    for (uint32_t byte = words.NextTrailingByte(valid_bits); byte != 0; byte &= byte - 1) {
      *out++ = static_cast<int32_t>(base + std::countr_zero(byte));
    }
  }
  return rows;
}

}  // namespace sabot
