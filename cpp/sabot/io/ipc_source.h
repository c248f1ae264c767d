// IpcSource: Arrow IPC files (random-access file format) and IPC streams, one split per file.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sabot/exec/source.h"
#include "sabot/plan/source_spec.h"

namespace sabot {

//! The schema is the first file's (or the explicit one); every file must carry the same.
//! Batches are read one at a time, so memory stays at one batch per open split.
class IpcSource : public Source {
 public:
  //! `spec.format` is kIpcFile or kIpcStream.
  static Result<std::shared_ptr<IpcSource>> Make(const SourceSpec& spec);

  std::string ToString() const override;
  const std::shared_ptr<arrow::Schema>& schema() const override { return schema_; }
  Result<std::vector<std::shared_ptr<SourceSplit>>> Splits() override;
  Result<std::unique_ptr<SplitReader>> Open(const SourceSplit& split) override;

 private:
  IpcSource() = default;

  SourceSpec spec_;
  std::vector<std::string> paths_;
  std::shared_ptr<arrow::Schema> file_schema_;  // every column of a file
  std::string schema_from_;
  std::shared_ptr<arrow::Schema> schema_;  // after projection
  std::vector<int> columns_;
};

}  // namespace sabot
