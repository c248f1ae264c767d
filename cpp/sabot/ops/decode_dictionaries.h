// DecodeDictionaries: turns dictionary-encoded columns back into plain ones, the second
// half of late materialization (see ParquetSource::ReadDictionaryStringsAsDictionaries).
#pragma once

#include "sabot/exec/operator.h"

namespace sabot {

//! Each dictionary column of the input becomes its value type (dictionary values taken by
//! index, nulls kept); other columns pass through untouched. Placed after a filter, it
//! copies the strings of the surviving rows only.
class DecodeDictionariesOperator final : public BatchTransform {
 public:
  //! `plain`: the input schema with the dictionary fields to decode replaced by their
  //! value type (a dictionary field left as it is passes through).
  explicit DecodeDictionariesOperator(std::shared_ptr<arrow::Schema> plain) : BatchTransform(std::move(plain)) {}
  std::string_view name() const override { return "DecodeDictionaries"; }

 protected:
  Result<std::shared_ptr<arrow::RecordBatch>> Transform(const std::shared_ptr<arrow::RecordBatch>& batch) override;
};

}  // namespace sabot
