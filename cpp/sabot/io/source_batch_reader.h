// BatchReaderSplit: a SplitReader over an arrow::RecordBatchReader, shared by file sources.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <arrow/record_batch.h>

#include "sabot/exec/source.h"

namespace sabot {

//! Turns an Arrow reader into SourcePolls. Selects `columns` (empty: keep all) after
//! reading, checks each batch against `schema` and re-labels it with exactly that schema
//! (so nullability or metadata differences between files never leak downstream).
//! Errors go through `on_error`, which adds the file (and line) to Arrow's message.
//! A null `reader` is an empty split (an empty file).
class BatchReaderSplit : public SplitReader {
 public:
  using ErrorMapper = std::function<Status(const Status&)>;

  BatchReaderSplit(std::shared_ptr<arrow::RecordBatchReader> reader,
                   std::shared_ptr<arrow::Schema> schema, std::vector<int> columns,
                   std::string path, ErrorMapper on_error = nullptr);

  Result<SourcePoll> Next() override;

 private:
  std::shared_ptr<arrow::RecordBatchReader> reader_;
  std::shared_ptr<arrow::Schema> schema_;
  std::vector<int> columns_;
  std::string path_;
  ErrorMapper on_error_;
  bool done_ = false;
};

}  // namespace sabot
