// Sort keys (ORDER BY) resolved against a schema, and the stable sort permutation they
// induce under DuckDB's ordering rules.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"
#include "sabot/plan/sort_key.h"

namespace sabot {

//! Sort keys checked against one schema: the columns exist and their types are ordered.
//! Immutable and cheap to copy; safe to use from several threads at once.
class SortSpec {
 public:
  //! Errors: no keys, an unknown column (named, with the columns that exist), a type
  //! without an order (list, struct, ...). `what` names the operator in messages.
  static Result<SortSpec> Make(const std::shared_ptr<arrow::Schema>& schema, const std::vector<SortKey>& keys,
                               std::string_view what = "sort");

  const std::shared_ptr<arrow::Schema>& schema() const { return schema_; }
  const std::vector<SortKey>& keys() const { return keys_; }
  //! Position in the schema of each key's column, in key order.
  const std::vector<int>& key_indices() const { return key_indices_; }

  //! The stable permutation of `batch` (of schema()) that orders it by the keys: unsigned
  //! integer row indices, equal keys in input order. When every key is a fixed-width
  //! value (numbers, bool, temporal) it is an LSD radix sort over normalized keys, several
  //! times faster than Arrow's comparison sort; otherwise Arrow's sort_indices.
  //! `allow_radix = false` forces Arrow's (tests compare the two).
  Result<std::shared_ptr<arrow::Array>> SortIndices(const arrow::RecordBatch& batch, bool allow_radix = true) const;

 private:
  SortSpec(std::shared_ptr<arrow::Schema> schema, std::vector<SortKey> keys, std::vector<int> key_indices)
      : schema_(std::move(schema)), keys_(std::move(keys)), key_indices_(std::move(key_indices)) {}

  std::shared_ptr<arrow::Schema> schema_;
  std::vector<SortKey> keys_;
  std::vector<int> key_indices_;
};

//! Whether values of `type` can be ordered by SortSpec (numbers, bool, strings, binary,
//! temporal types, decimals).
bool IsSortableType(const arrow::DataType& type);

}  // namespace sabot
