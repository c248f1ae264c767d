// BatchReaderSplit: a SplitReader over an arrow::RecordBatchReader, shared by file sources.
#include "sabot/io/source_batch_reader.h"

#include "sabot/io/source_schema.h"

namespace sabot {

BatchReaderSplit::BatchReaderSplit(std::shared_ptr<arrow::RecordBatchReader> reader,
                                   std::shared_ptr<arrow::Schema> schema,
                                   std::vector<int> columns, std::string path,
                                   ErrorMapper on_error)
    : reader_(std::move(reader)),
      schema_(std::move(schema)),
      columns_(std::move(columns)),
      path_(std::move(path)),
      on_error_(std::move(on_error)),
      done_(reader_ == nullptr) {}

Result<SourcePoll> BatchReaderSplit::Next() {
  if (done_) return SourcePoll::Exhausted();
  std::shared_ptr<arrow::RecordBatch> batch;
  Status st = reader_->ReadNext(&batch);
  if (!st.ok()) {
    done_ = true;
    return on_error_ ? on_error_(st) : WithContext(st, path_);
  }
  if (batch == nullptr) {
    done_ = true;
    reader_.reset();  // release the file early; a split is read once
    return SourcePoll::Exhausted();
  }
  if (!columns_.empty()) {
    ARROW_ASSIGN_OR_RAISE(batch, batch->SelectColumns(columns_));
  }
  ARROW_RETURN_NOT_OK(CheckSameSchema(*schema_, *batch->schema(), path_, "the source schema"));
  batch = arrow::RecordBatch::Make(schema_, batch->num_rows(), batch->columns());
  return SourcePoll::Of(Message::Batch(std::move(batch)));
}

}  // namespace sabot
