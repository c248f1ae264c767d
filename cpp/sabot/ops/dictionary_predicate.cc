// Evaluating a conjunct over a dictionary's entries and mapping the rows' indices.
#include "sabot/ops/dictionary_predicate.h"

#include <arrow/api.h>

#include "sabot/ops/filter.h"
#include "sabot/ops/select_by_entries.h"

namespace sabot {

Result<DictionaryPredicate> DictionaryPredicate::Make(const Expr& conjunct,
                                                      const std::shared_ptr<arrow::Schema>& schema, int column) {
  const auto& field = schema->field(column);
  SABOT_CHECK(field->type()->id() == arrow::Type::DICTIONARY);
  const auto& value_type = static_cast<const arrow::DictionaryType&>(*field->type()).value_type();
  auto values_schema = arrow::schema({field->WithType(value_type)});
  ARROW_ASSIGN_OR_RAISE(auto bound, BindPredicate(values_schema, conjunct));
  return DictionaryPredicate(column, std::move(bound), std::move(values_schema));
}

Result<DictionaryPredicate> DictionaryPredicate::MakeOverValues(const Expr& conjunct,
                                                                const std::shared_ptr<arrow::Schema>& schema,
                                                                int column) {
  auto values_schema = arrow::schema({schema->field(column)});
  ARROW_ASSIGN_OR_RAISE(auto bound, BindPredicate(values_schema, conjunct));
  return DictionaryPredicate(column, std::move(bound), std::move(values_schema));
}

Result<std::shared_ptr<const std::vector<uint8_t>>> DictionaryPredicate::Truth(
    const std::shared_ptr<arrow::Array>& dictionary) const {
  {
    std::lock_guard<std::mutex> lock(cache_->mutex);
    for (const auto& entry : cache_->entries) {
      if (entry.dictionary != nullptr && entry.dictionary->data() == dictionary->data()) return entry.truth;
    }
  }
  auto values = arrow::RecordBatch::Make(values_schema_, dictionary->length(), {dictionary});
  ARROW_ASSIGN_OR_RAISE(auto result, bound_.Evaluate(*values));
  const auto& holds = static_cast<const arrow::BooleanArray&>(*result);
  // Zero-padded for SelectByEntries' gathers.
  auto truth = std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(dictionary->length()) + kTruthPadding, 0);
  for (int64_t i = 0; i < holds.length(); ++i) (*truth)[static_cast<size_t>(i)] = holds.IsValid(i) && holds.Value(i);
  std::lock_guard<std::mutex> lock(cache_->mutex);
  auto& entry = cache_->entries[cache_->next];
  cache_->next = (cache_->next + 1) % cache_->entries.size();
  entry.dictionary = dictionary;
  entry.truth = truth;
  return truth;
}

Status DictionaryPredicate::Apply(const arrow::RecordBatch& batch, uint8_t* keep) const {
  if (batch.column(column_)->type_id() != arrow::Type::DICTIONARY) {
    const int64_t n = batch.num_rows();
    auto values = arrow::RecordBatch::Make(values_schema_, n, {batch.column(column_)});
    ARROW_ASSIGN_OR_RAISE(auto result, bound_.Evaluate(*values));
    AndInto(*result, keep);
    return Status::OK();
  }
  const auto& column = static_cast<const arrow::DictionaryArray&>(*batch.column(column_));
  ARROW_ASSIGN_OR_RAISE(auto truth, Truth(column.dictionary()));
  const uint8_t* holds = truth->data();
  const auto& indices = *column.indices();
  const int64_t n = batch.num_rows();
  // Parquet gives int32 indices; other index widths take the generic path.
  if (indices.type_id() == arrow::Type::INT32) {
    const int32_t* index = static_cast<const arrow::Int32Array&>(indices).raw_values();
    if (indices.null_count() == 0) {
      for (int64_t i = 0; i < n; ++i) keep[i] &= holds[index[i]];
    } else {
      for (int64_t i = 0; i < n; ++i) keep[i] &= indices.IsValid(i) ? holds[index[i]] : 0;
    }
    return Status::OK();
  }
  for (int64_t i = 0; i < n; ++i) {
    keep[i] &= indices.IsValid(i) ? holds[column.GetValueIndex(i)] : 0;
  }
  return Status::OK();
}

void AndInto(const arrow::Array& holds, uint8_t* keep) {
  const auto& truth = static_cast<const arrow::BooleanArray&>(holds);
  const int64_t n = truth.length();
  if (truth.null_count() == 0) {
    for (int64_t i = 0; i < n; ++i) keep[i] &= truth.Value(i);
  } else {
    for (int64_t i = 0; i < n; ++i) keep[i] &= truth.IsValid(i) && truth.Value(i);
  }
}

}  // namespace sabot
