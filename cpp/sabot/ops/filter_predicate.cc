// FilterPredicate: a filter's predicate as it is evaluated over batches.
#include "sabot/ops/filter_predicate.h"

#include <algorithm>
#include <bit>
#include <map>
#include <set>

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>
#include <arrow/util/bitmap_reader.h>
#include <arrow/util/bit_util.h>
#include <arrow/util/bitmap_ops.h>

#include "sabot/common/errors.h"
#include "sabot/common/type_names.h"
#include "sabot/ops/dictionary_gather.h"
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
  std::set<int> others_read;  // the columns the conjuncts in `others` read
  bool others_read_unknown = false;  // a name that is no single field of `schema`
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
    for (const auto& name : refs) {
      const int index = schema->GetFieldIndex(name);
      others_read_unknown = others_read_unknown || index < 0;
      others_read.insert(index);
    }
  }
  // Without dictionary columns, bound whole (so that a type error quotes the predicate as
  // the user wrote it), else the conjuncts the dictionaries leave.
  std::optional<BoundExpr> bound_rest;
  if (dictionary.empty()) {
    ARROW_ASSIGN_OR_RAISE(bound_rest, BindPredicate(schema, predicate));
  } else if (!rest.empty()) {
    ARROW_ASSIGN_OR_RAISE(bound_rest, BindPredicate(schema, AndAll(rest)));
  }
  std::vector<DictionaryPredicate> alone_bound;
  std::set<int> entry_columns;
  for (auto& [column, conjuncts] : alone) {
    ARROW_ASSIGN_OR_RAISE(auto bound, DictionaryPredicate::MakeOverValues(AndAll(conjuncts), schema, column));
    alone_bound.push_back(std::move(bound));
    entry_columns.insert(column);
  }
  std::vector<int> others_columns;
  if (others_read_unknown) {
    // Bound to every column (Arrow resolves the name), none of them taken as entries.
    for (int i = 0; i < schema->num_fields(); ++i) others_columns.push_back(i);
    entry_columns.clear();
  } else {
    others_columns.assign(others_read.begin(), others_read.end());
    // A column only conjuncts over several columns read is worth taking as entries where
    // a first step narrows the rows they decode it at: without one (TPC-H Q4's
    // l_commitdate < l_receiptdate) it would be decoded whole, as a plain read does, and
    // then again at the rows that pass.
    const bool first_step = !alone_bound.empty() || !dictionary.empty();
    for (int column : others_columns) {
      const bool plain = schema->field(column)->type()->id() != arrow::Type::DICTIONARY;
      if (plain && first_step) entry_columns.insert(column);
    }
  }
  std::optional<BoundExpr> others_bound;
  if (!others.empty()) {
    arrow::FieldVector fields;
    for (int column : others_columns) fields.push_back(schema->field(column));
    ARROW_ASSIGN_OR_RAISE(others_bound, BindPredicate(arrow::schema(std::move(fields)), AndAll(others)));
  }
  return FilterPredicate(std::move(bound_rest), std::move(dictionary), std::move(alone_bound),
                         std::move(others_bound), std::move(others_columns),
                         std::vector<int>(entry_columns.begin(), entry_columns.end()));
}

bool FilterPredicate::TakesEntries(int column) const {
  return std::binary_search(entry_columns_.begin(), entry_columns_.end(), column);
}

bool FilterPredicate::GivesEntries(const arrow::RecordBatch& batch) const {
  return std::any_of(entry_columns_.begin(), entry_columns_.end(), [&](int column) {
    return batch.column(column)->type_id() == arrow::Type::DICTIONARY;
  });
}

Result<std::shared_ptr<arrow::Array>> FilterPredicate::Mask(const arrow::RecordBatch& batch) const {
  if (dictionary_.empty() && !GivesEntries(batch)) return rest_->Evaluate(batch);
  ARROW_ASSIGN_OR_RAISE(const auto rows, Select(batch));
  const int64_t n = batch.num_rows();
  ARROW_ASSIGN_OR_RAISE(auto bitmap, arrow::AllocateEmptyBitmap(n));
  uint8_t* bits = bitmap->mutable_data();
  for (int32_t row : rows) arrow::bit_util::SetBit(bits, row);
  return std::make_shared<arrow::BooleanArray>(n, std::move(bitmap));
}

Result<std::vector<int32_t>> FilterPredicate::Select(const arrow::RecordBatch& batch) const {
  if (dictionary_.empty() && !GivesEntries(batch)) {
    ARROW_ASSIGN_OR_RAISE(auto mask, rest_->Evaluate(batch));
    return SelectedRows(*mask);
  }
  const int64_t n = batch.num_rows();
  std::vector<uint8_t> keep;
  std::vector<std::shared_ptr<const std::vector<uint8_t>>> truths;  // by_entry's tables, held
  std::vector<EntryTest> by_entry;
  // The first step. The columns that are dictionaries here (int32 indices without nulls,
  // as a Parquet scan gives them; up to three), declared so or given so for a plain
  // column, are tested in the pass that selects the rows; the other conjuncts over one
  // column first clear `keep`.
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
  for (const auto& conjunct : alone_) ARROW_RETURN_NOT_OK(test(conjunct));
  for (const auto& conjunct : dictionary_) ARROW_RETURN_NOT_OK(test(conjunct));
  std::vector<int32_t> rows(static_cast<size_t>(n) + 16);  // SelectByEntries' room
  size_t count = 0;
  if (!by_entry.empty()) {
    count = SelectByEntries(n, keep.empty() ? nullptr : keep.data(), by_entry.data(),
                            static_cast<int>(by_entry.size()), rows.data());
  } else {
    // Every conjunct tested above either went to by_entry or cleared `keep`, and there
    // was one: this path has a dictionary_ conjunct or a column of alone_ as entries.
    SABOT_CHECK(keep.size() == static_cast<size_t>(n));
    // Branch-free: each row is written, and the next one overwrites it unless it passed.
    for (size_t i = 0; i < keep.size(); ++i) {
      rows[count] = static_cast<int32_t>(i);
      count += keep[i];
    }
  }
  rows.resize(count);
  // The second step, over the rows that passed the first.
  if (others_ && !rows.empty()) ARROW_RETURN_NOT_OK(KeepWhereOthersHold(batch, &rows));
  return rows;
}

Status FilterPredicate::KeepWhereOthersHold(const arrow::RecordBatch& batch, std::vector<int32_t>* rows) const {
  const auto count = static_cast<int64_t>(rows->size());
  const bool all = count == batch.num_rows();
  const auto at = std::make_shared<arrow::Int32Array>(count, arrow::Buffer::Wrap(*rows));
  arrow::ArrayVector columns;
  arrow::FieldVector fields;
  for (int column : others_columns_) {
    std::shared_ptr<arrow::Array> values = batch.column(column);
    const bool given_as_entries = values->type_id() == arrow::Type::DICTIONARY && TakesEntries(column);
    if (given_as_entries) {
      ARROW_ASSIGN_OR_RAISE(values, DictionaryValuesAt(static_cast<const arrow::DictionaryArray&>(*values),
                                                       all ? nullptr : rows->data(), count));
    } else if (!all) {
      ARROW_ASSIGN_OR_RAISE(values, arrow::compute::Take(*values, *at));
    }
    fields.push_back(batch.schema()->field(column)->WithType(values->type()));
    columns.push_back(std::move(values));
  }
  ARROW_ASSIGN_OR_RAISE(auto holds,
                        others_->Evaluate(*arrow::RecordBatch::Make(arrow::schema(std::move(fields)), count, columns)));
  std::vector<int32_t> passed = SelectedRows(*holds);
  for (int32_t& position : passed) position = (*rows)[static_cast<size_t>(position)];
  *rows = std::move(passed);
  return Status::OK();
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
