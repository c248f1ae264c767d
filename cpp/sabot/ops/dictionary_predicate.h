// DictionaryPredicate: a filter conjunct over one dictionary-encoded column, evaluated
// once per dictionary entry instead of once per row (late materialization's filters).
#pragma once

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

  //! Clears keep[i] for the rows of `batch` the conjunct does not hold for (false or null).
  Status Apply(const arrow::RecordBatch& batch, uint8_t* keep) const;

 private:
  DictionaryPredicate(int column, BoundExpr bound, std::shared_ptr<arrow::Schema> values_schema)
      : column_(column), bound_(std::move(bound)), values_schema_(std::move(values_schema)) {}

  //! Whether the conjunct holds, per entry of `dictionary`.
  Result<std::shared_ptr<const std::vector<uint8_t>>> Truth(const std::shared_ptr<arrow::Array>& dictionary) const;

  int column_;
  BoundExpr bound_;
  std::shared_ptr<arrow::Schema> values_schema_;
  //! The last dictionary seen and its truth table: the batches of one Parquet column
  //! chunk share their dictionary. Guarded, since workers share a lowered operator's copy.
  struct Cache {
    std::mutex mutex;
    std::shared_ptr<arrow::Array> dictionary;
    std::shared_ptr<const std::vector<uint8_t>> truth;
  };
  std::shared_ptr<Cache> cache_ = std::make_shared<Cache>();
};

}  // namespace sabot
