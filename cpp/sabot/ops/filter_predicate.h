// FilterPredicate: a filter's predicate as it is evaluated over batches, shared by the
// Filter operator and the Parquet scan that filters rows before decoding the rest.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/expr/bind.h"
#include "sabot/ops/dictionary_predicate.h"

namespace sabot {

class FilterPredicate {
 public:
  //! Binds `predicate` to `schema`; it must be boolean. A conjunct that reads one
  //! dictionary-encoded column alone is evaluated over its dictionary's entries
  //! (DictionaryPredicate); the others are bound as they are.
  static Result<FilterPredicate> Make(const std::shared_ptr<arrow::Schema>& schema, const Expr& predicate);
  //! A predicate bound as one expression (see BindPredicate), dictionaries or not.
  explicit FilterPredicate(BoundExpr predicate) : rest_(std::move(predicate)) {}

  //! Where the predicate holds for a row of `batch` (of the bound schema): a boolean
  //! array of its length in which null (unknown) means the row does not pass, as in SQL.
  Result<std::shared_ptr<arrow::Array>> Mask(const arrow::RecordBatch& batch) const;
  //! The rows of `batch` the predicate holds for, in increasing order: what Mask selects,
  //! without building its bitmap when conjuncts were evaluated per dictionary entry.
  Result<std::vector<int32_t>> Select(const arrow::RecordBatch& batch) const;

  //! Whether the conjuncts that read column `column` of the bound schema (a plain type)
  //! read it alone. A batch given to Mask or Select may then hold that column as a
  //! dictionary array over values of its type, whose entries the conjuncts are tested on.
  bool TestsAlone(int column) const;

 private:
  FilterPredicate(std::optional<BoundExpr> rest, std::vector<DictionaryPredicate> dictionary,
                  std::vector<DictionaryPredicate> alone, std::optional<BoundExpr> others)
      : rest_(std::move(rest)), dictionary_(std::move(dictionary)), alone_(std::move(alone)), others_(std::move(others)) {}

  //! Whether `batch` holds a column of alone_ as a dictionary array.
  bool GivesEntries(const arrow::RecordBatch& batch) const;
  //! Per row of `batch`, 1 where every conjunct holds (dictionary_ not empty, or
  //! GivesEntries).
  Result<std::vector<uint8_t>> Keep(const arrow::RecordBatch& batch) const;

  std::optional<BoundExpr> rest_;  // the AND of the conjuncts not in dictionary_
  std::vector<DictionaryPredicate> dictionary_;
  //! For batches that give a plain column as a dictionary: the conjuncts over one plain
  //! column that no other conjunct reads, one per column, and the AND of the conjuncts in
  //! neither alone_ nor dictionary_.
  std::vector<DictionaryPredicate> alone_;
  std::optional<BoundExpr> others_;
};

//! Binds `predicate` to `schema`; it must be boolean.
Result<BoundExpr> BindPredicate(const std::shared_ptr<arrow::Schema>& schema, const Expr& predicate);

//! The rows `mask` (a boolean array) selects, true and not null, in increasing order.
std::vector<int32_t> SelectedRows(const arrow::Array& mask);

}  // namespace sabot
