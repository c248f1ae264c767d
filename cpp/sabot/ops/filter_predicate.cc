// FilterPredicate: a filter's predicate as it is evaluated over batches.
#include "sabot/ops/filter_predicate.h"

#include <algorithm>
#include <bit>
#include <map>
#include <set>

#include <arrow/api.h>
#include <arrow/util/bitmap_reader.h>
#include <arrow/util/bit_util.h>
#include <arrow/util/bitmap_ops.h>

#include "sabot/common/type_names.h"
#include "sabot/ops/select_by_entries.h"

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
  std::map<int, std::vector<Expr>> alone;  // per plain column, the conjuncts over it alone
  std::vector<Expr> others;
  std::set<int> shared;  // columns that a conjunct over several columns reads
  for (const auto& conjunct : Conjuncts(predicate)) {
    const auto refs = conjunct.ColumnRefs();
    const int column = refs.size() == 1 ? schema->GetFieldIndex(refs.front()) : -1;
    if (column >= 0 && schema->field(column)->type()->id() == arrow::Type::DICTIONARY) {
      ARROW_ASSIGN_OR_RAISE(auto bound, DictionaryPredicate::Make(conjunct, schema, column));
      dictionary.push_back(std::move(bound));
      continue;
    }
    rest.push_back(conjunct);
    if (column >= 0) {
      alone[column].push_back(conjunct);
      continue;
    }
    others.push_back(conjunct);
    for (const auto& name : refs) shared.insert(schema->GetFieldIndex(name));
  }
  std::vector<DictionaryPredicate> alone_bound;
  for (auto& [column, conjuncts] : alone) {
    if (shared.count(column) > 0) {
      others.insert(others.end(), conjuncts.begin(), conjuncts.end());
      continue;
    }
    ARROW_ASSIGN_OR_RAISE(auto bound, DictionaryPredicate::MakeOverValues(AndAll(conjuncts), schema, column));
    alone_bound.push_back(std::move(bound));
  }
  // Without dictionary columns, bound whole (so that a type error quotes the predicate as
  // the user wrote it), else the conjuncts the dictionaries leave.
  std::optional<BoundExpr> bound_rest;
  if (dictionary.empty()) {
    ARROW_ASSIGN_OR_RAISE(bound_rest, BindPredicate(schema, predicate));
  } else if (!rest.empty()) {
    ARROW_ASSIGN_OR_RAISE(bound_rest, BindPredicate(schema, AndAll(rest)));
  }
  std::optional<BoundExpr> others_bound;
  if (!alone_bound.empty() && !others.empty()) {
    ARROW_ASSIGN_OR_RAISE(others_bound, BindPredicate(schema, AndAll(others)));
  }
  return FilterPredicate(std::move(bound_rest), std::move(dictionary), std::move(alone_bound),
                         std::move(others_bound));
}

bool FilterPredicate::TestsAlone(int column) const {
  return std::any_of(alone_.begin(), alone_.end(), [&](const auto& test) { return test.column() == column; });
}

bool FilterPredicate::GivesEntries(const arrow::RecordBatch& batch) const {
  return std::any_of(alone_.begin(), alone_.end(), [&](const auto& test) {
    return batch.column(test.column())->type_id() == arrow::Type::DICTIONARY;
  });
}

Result<std::vector<uint8_t>> FilterPredicate::Keep(const arrow::RecordBatch& batch) const {
  const int64_t n = batch.num_rows();
  std::vector<uint8_t> keep(static_cast<size_t>(n), 1);
  if (GivesEntries(batch)) {
    // Each plain column's conjuncts apart (per entry where the column is a dictionary),
    // then the others, which read none of those columns.
    for (const auto& conjunct : alone_) ARROW_RETURN_NOT_OK(conjunct.Apply(batch, keep.data()));
    if (others_) {
      ARROW_ASSIGN_OR_RAISE(auto holds, others_->Evaluate(batch));
      AndInto(*holds, keep.data());
    }
  } else if (rest_) {
    ARROW_ASSIGN_OR_RAISE(auto holds, rest_->Evaluate(batch));
    AndInto(*holds, keep.data());
  }
  for (const auto& conjunct : dictionary_) ARROW_RETURN_NOT_OK(conjunct.Apply(batch, keep.data()));
  return keep;
}

Result<std::shared_ptr<arrow::Array>> FilterPredicate::Mask(const arrow::RecordBatch& batch) const {
  if (dictionary_.empty() && !GivesEntries(batch)) return rest_->Evaluate(batch);
  ARROW_ASSIGN_OR_RAISE(const auto keep, Keep(batch));
  const int64_t n = batch.num_rows();
  ARROW_ASSIGN_OR_RAISE(auto bitmap, arrow::AllocateBitmap(n));
  uint8_t* bits = bitmap->mutable_data();
  for (int64_t i = 0; i < n; ++i) arrow::bit_util::SetBitTo(bits, i, keep[static_cast<size_t>(i)] != 0);
  return std::make_shared<arrow::BooleanArray>(n, std::move(bitmap));
}

Result<std::vector<int32_t>> FilterPredicate::Select(const arrow::RecordBatch& batch) const {
  const bool gives_entries = GivesEntries(batch);
  if (dictionary_.empty() && !gives_entries) {
    ARROW_ASSIGN_OR_RAISE(auto mask, rest_->Evaluate(batch));
    return SelectedRows(*mask);
  }
  const int64_t n = batch.num_rows();
  std::vector<uint8_t> keep;
  std::vector<std::shared_ptr<const std::vector<uint8_t>>> truths;  // by_entry's tables, held
  std::vector<EntryTest> by_entry;
  // The columns that are dictionaries here (int32 indices without nulls, as a Parquet
  // scan gives them; up to three), declared so or given so for a plain column, are tested
  // in the pass that selects the rows; every other conjunct first clears `keep`.
  auto test = [&](const DictionaryPredicate& conjunct) -> Status {
    const auto& column = *batch.column(conjunct.column());
    if (column.type_id() == arrow::Type::DICTIONARY && by_entry.size() < 3) {
      const auto& dictionary = static_cast<const arrow::DictionaryArray&>(column);
      const auto& indices = *dictionary.indices();
      if (indices.type_id() == arrow::Type::INT32 && indices.null_count() == 0) {
        ARROW_ASSIGN_OR_RAISE(auto truth, conjunct.Truth(dictionary.dictionary()));
        by_entry.push_back({truth->data(), indices.data()->GetValues<int32_t>(1)});
        truths.push_back(std::move(truth));
        return Status::OK();
      }
    }
    if (keep.empty()) keep.assign(static_cast<size_t>(n), 1);
    return conjunct.Apply(batch, keep.data());
  };
  // The conjuncts over no such column: bound over several columns, or over plain ones.
  const std::optional<BoundExpr>& evaluated = gives_entries ? others_ : rest_;
  if (evaluated) {
    keep.assign(static_cast<size_t>(n), 1);
    ARROW_ASSIGN_OR_RAISE(auto holds, evaluated->Evaluate(batch));
    AndInto(*holds, keep.data());
  }
  if (gives_entries) {
    for (const auto& conjunct : alone_) ARROW_RETURN_NOT_OK(test(conjunct));
  }
  for (const auto& conjunct : dictionary_) ARROW_RETURN_NOT_OK(test(conjunct));
  std::vector<int32_t> rows(static_cast<size_t>(n) + 16);  // SelectByEntries' room
  size_t count = 0;
  if (by_entry.empty()) {
    // Branch-free: each row is written, and the next one overwrites it unless it passed.
    for (size_t i = 0; i < keep.size(); ++i) {
      rows[count] = static_cast<int32_t>(i);
      count += keep[i];
    }
  } else {
    count = SelectByEntries(n, keep.empty() ? nullptr : keep.data(), by_entry.data(),
                            static_cast<int>(by_entry.size()), rows.data());
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
