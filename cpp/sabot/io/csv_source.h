// CsvSource: CSV files (one split per file) read with Arrow's streaming CSV reader.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sabot/exec/source.h"
#include "sabot/plan/source_spec.h"

namespace sabot {

//! Types come from the explicit schema or are inferred from the first file; every
//! later file is read with those types, so a file that does not fit fails with its
//! path, column and line rather than silently changing the schema.
class CsvSource : public Source {
 public:
  static Result<std::shared_ptr<CsvSource>> Make(const SourceSpec& spec);

  std::string ToString() const override;
  const std::shared_ptr<arrow::Schema>& schema() const override { return schema_; }
  Result<std::vector<std::shared_ptr<SourceSplit>>> Splits() override;
  Result<std::unique_ptr<SplitReader>> Open(const SourceSplit& split) override;

 private:
  CsvSource() = default;

  SourceSpec spec_;
  std::vector<std::string> paths_;
  std::shared_ptr<arrow::Schema> file_schema_;  // every column of a file, with types
  std::shared_ptr<arrow::Schema> schema_;       // after projection
  std::string schema_from_;                     // where file_schema_ came from, for errors
};

}  // namespace sabot
