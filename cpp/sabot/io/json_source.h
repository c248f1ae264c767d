// JsonSource: JSON lines files (one split per file) read with Arrow's streaming JSON reader.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sabot/exec/source.h"
#include "sabot/plan/source_spec.h"

namespace sabot {

//! The schema is explicit or inferred from the first file; later files are read
//! against it, so a field of another kind fails with the file and line at fault.
class JsonSource : public Source {
 public:
  static Result<std::shared_ptr<JsonSource>> Make(const SourceSpec& spec);

  std::string ToString() const override;
  const std::shared_ptr<arrow::Schema>& schema() const override { return schema_; }
  Result<std::vector<std::shared_ptr<SourceSplit>>> Splits() override;
  Result<std::unique_ptr<SplitReader>> Open(const SourceSplit& split) override;

 private:
  JsonSource() = default;

  SourceSpec spec_;
  std::vector<std::string> paths_;
  std::shared_ptr<arrow::Schema> file_schema_;  // every field, with types
  std::shared_ptr<arrow::Schema> schema_;       // after projection
  std::vector<int> columns_;                    // projection into file_schema_
  bool explicit_schema_ = false;
};

}  // namespace sabot
