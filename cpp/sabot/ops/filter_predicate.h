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
  //! (DictionaryPredicate); where a batch has such columns, the conjuncts over several
  //! columns run after the others, at the rows those kept (see the members).
  static Result<FilterPredicate> Make(const std::shared_ptr<arrow::Schema>& schema, const Expr& predicate);
  //! A predicate bound as one expression (see BindPredicate), dictionaries or not.
  explicit FilterPredicate(BoundExpr predicate) : rest_(std::move(predicate)) {}

  //! Where the predicate holds for a row of `batch` (of the bound schema): a boolean
  //! array of its length in which null (unknown) means the row does not pass, as in SQL.
  Result<std::shared_ptr<arrow::Array>> Mask(const arrow::RecordBatch& batch) const;
  //! The rows of `batch` the predicate holds for, in increasing order: what Mask selects,
  //! without building its bitmap when conjuncts were evaluated per dictionary entry.
  Result<std::vector<int32_t>> Select(const arrow::RecordBatch& batch) const;

  //! Whether a batch given to Mask or Select may hold column `column` of the bound
  //! schema (a plain type the predicate reads) as a dictionary array over values of its
  //! type: the conjuncts over that column alone are then tested once per entry, and the
  //! conjuncts over several columns read its values at the rows the others passed. True
  //! for every such column where a conjunct reads one column alone.
  bool TakesEntries(int column) const;

 private:
  FilterPredicate(std::optional<BoundExpr> rest, std::vector<DictionaryPredicate> dictionary,
                  std::vector<DictionaryPredicate> alone, std::optional<BoundExpr> others,
                  std::vector<int> others_columns, std::vector<int> entry_columns)
      : rest_(std::move(rest)),
        dictionary_(std::move(dictionary)),
        alone_(std::move(alone)),
        others_(std::move(others)),
        others_columns_(std::move(others_columns)),
        entry_columns_(std::move(entry_columns)) {}

  //! Whether `batch` holds a column of entry_columns_ as a dictionary array.
  bool GivesEntries(const arrow::RecordBatch& batch) const;
  //! Narrows `rows` (of `batch`, increasing) to those where others_ holds, evaluating it
  //! over its columns at those rows only.
  Status KeepWhereOthersHold(const arrow::RecordBatch& batch, std::vector<int32_t>* rows) const;

  //! The AND of the conjuncts not in dictionary_, bound to the whole schema: evaluated
  //! over whole batches where no column is a dictionary.
  std::optional<BoundExpr> rest_;
  //! The conjuncts over one column declared a dictionary, one per conjunct.
  std::vector<DictionaryPredicate> dictionary_;
  //! Otherwise the predicate runs in two steps. First the conjuncts over one column each
  //! (dictionary_, and alone_: per plain column the AND of the conjuncts over it alone),
  //! per entry where the column is a dictionary; then others_, the AND of the conjuncts
  //! over several columns (or none), bound to the columns others_columns_ of the schema
  //! (in that order), over the rows that passed the first step only: in TPC-H Q12 the
  //! shipping mode and the receipt year keep 1 row in 20, and the two comparisons of two
  //! dates then read those rows' dates alone.
  std::vector<DictionaryPredicate> alone_;
  std::optional<BoundExpr> others_;
  std::vector<int> others_columns_;
  //! The columns of a plain type the predicate reads (see TakesEntries), increasing.
  std::vector<int> entry_columns_;
};

//! Binds `predicate` to `schema`; it must be boolean.
Result<BoundExpr> BindPredicate(const std::shared_ptr<arrow::Schema>& schema, const Expr& predicate);

//! The rows `mask` (a boolean array) selects, true and not null, in increasing order.
std::vector<int32_t> SelectedRows(const arrow::Array& mask);

}  // namespace sabot
