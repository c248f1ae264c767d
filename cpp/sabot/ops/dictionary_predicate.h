// DictionaryPredicate: a filter conjunct over one dictionary-encoded column, evaluated
// once per dictionary entry instead of once per row (late materialization's filters).
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/expr/bind.h"

namespace sabot {

class DictionaryPredicate {
 public:
  //! `conjunct` reads only column `column` of `schema`, which must be a dictionary
  //! column; it is bound to the dictionary's values and must be boolean.
  static Result<DictionaryPredicate> Make(const Expr& conjunct, const std::shared_ptr<arrow::Schema>& schema,
                                          int column);
  //! `conjunct` reads only column `column` of `schema`, of a plain type; it is bound to
  //! that type, and the column may come as its values or as a dictionary of them (a
  //! Parquet scan reads a dictionary-encoded date or quantity column so, see
  //! FlatColumnReader::ReadAsDictionary).
  static Result<DictionaryPredicate> MakeOverValues(const Expr& conjunct, const std::shared_ptr<arrow::Schema>& schema,
                                                    int column);

  //! The column of `schema` the conjunct reads.
  int column() const { return column_; }

  //! Clears keep[i] for the rows of `batch` the conjunct does not hold for (false or null).
  //! The column is a dictionary array, or (made by MakeOverValues) an array of values.
  Status Apply(const arrow::RecordBatch& batch, uint8_t* keep) const;

  //! Whether the conjunct holds (1) or not (0: false or null), per entry of `dictionary`,
  //! followed by kTruthPadding zero bytes (see select_by_entries.h).
  Result<std::shared_ptr<const std::vector<uint8_t>>> Truth(const std::shared_ptr<arrow::Array>& dictionary) const;

 private:
  DictionaryPredicate(int column, BoundExpr bound, std::shared_ptr<arrow::Schema> values_schema)
      : column_(column), bound_(std::move(bound)), values_schema_(std::move(values_schema)) {}

  int column_;
  BoundExpr bound_;
  std::shared_ptr<arrow::Schema> values_schema_;
  //! The last dictionaries seen and their truth tables: the batches of one Parquet column
  //! chunk share their dictionary, and each worker reads a chunk of its own (one entry
  //! made every worker's batches evaluate the conjunct anew). Guarded, since workers
  //! share a lowered operator's copy.
  struct Cache {
    struct Entry {
      std::shared_ptr<arrow::Array> dictionary;
      std::shared_ptr<const std::vector<uint8_t>> truth;
    };
    std::mutex mutex;
    std::array<Entry, 32> entries;
    size_t next = 0;  // the entry replaced next
  };
  std::shared_ptr<Cache> cache_ = std::make_shared<Cache>();
};

//! keep[i] &= whether `holds` (a boolean array as long as keep) is true at row i: false
//! and null (unknown) both clear it, as in SQL.
void AndInto(const arrow::Array& holds, uint8_t* keep);

}  // namespace sabot
