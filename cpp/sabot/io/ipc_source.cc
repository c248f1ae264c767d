// IpcSource: Arrow IPC files (random-access file format) and IPC streams, one split per file.
#include "sabot/io/ipc_source.h"

#include <arrow/io/file.h>
#include <arrow/ipc/reader.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>

#include "sabot/io/file_paths.h"
#include "sabot/io/source_batch_reader.h"
#include "sabot/io/source_file_split.h"
#include "sabot/io/source_schema.h"

namespace sabot {
namespace {

// Walks the batches of an IPC file in order, reading each only when asked for.
class IpcFileBatches : public arrow::RecordBatchReader {
 public:
  explicit IpcFileBatches(std::shared_ptr<arrow::ipc::RecordBatchFileReader> reader)
      : reader_(std::move(reader)) {}

  std::shared_ptr<arrow::Schema> schema() const override { return reader_->schema(); }

  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    if (next_ >= reader_->num_record_batches()) {
      batch->reset();
      return Status::OK();
    }
    return reader_->ReadRecordBatch(next_++).Value(batch);
  }

 private:
  std::shared_ptr<arrow::ipc::RecordBatchFileReader> reader_;
  int next_ = 0;
};

Status Corrupt(const Status& st, const std::string& path, FileFormat format) {
  const char* what = format == FileFormat::kIpcFile ? "file" : "stream";
  return Status::IOError(path, ": not a valid Arrow IPC ", what,
                         " (truncated or corrupt): ", st.message());
}

// Opens `path` as an Arrow reader; every failure is reported as a bad file.
Result<std::shared_ptr<arrow::RecordBatchReader>> OpenIpc(const std::string& path,
                                                          FileFormat format) {
  auto file = arrow::io::ReadableFile::Open(path);
  if (!file.ok()) return WithContext(file.status(), path);
  if (format == FileFormat::kIpcFile) {
    auto reader = arrow::ipc::RecordBatchFileReader::Open(*file);
    if (!reader.ok()) return Corrupt(reader.status(), path, format);
    return std::make_shared<IpcFileBatches>(*reader);
  }
  auto reader = arrow::ipc::RecordBatchStreamReader::Open(*file);
  if (!reader.ok()) return Corrupt(reader.status(), path, format);
  return std::static_pointer_cast<arrow::RecordBatchReader>(*reader);
}

}  // namespace

Result<std::shared_ptr<IpcSource>> IpcSource::Make(const SourceSpec& spec) {
  SABOT_CHECK(spec.format == FileFormat::kIpcFile || spec.format == FileFormat::kIpcStream);
  auto source = std::shared_ptr<IpcSource>(new IpcSource());
  source->spec_ = spec;
  ARROW_ASSIGN_OR_RAISE(source->paths_, ResolveFilePaths(spec.path));
  if (spec.schema) {
    source->file_schema_ = spec.schema;
    source->schema_from_ = "the explicit schema";
  } else {
    const std::string& first = source->paths_.front();
    ARROW_ASSIGN_OR_RAISE(auto reader, OpenIpc(first, spec.format));
    source->file_schema_ = reader->schema();
    source->schema_from_ = first;
  }
  ARROW_ASSIGN_OR_RAISE(source->columns_,
                        ResolveColumns(*source->file_schema_, spec.columns, spec.path));
  source->schema_ = SelectFields(*source->file_schema_, source->columns_);
  return source;
}

std::string IpcSource::ToString() const {
  return std::string(spec_.format == FileFormat::kIpcFile ? "IpcFileSource" : "IpcStreamSource") +
         "(path=" + spec_.path + ")";
}

Result<std::vector<std::shared_ptr<SourceSplit>>> IpcSource::Splits() {
  std::vector<std::shared_ptr<SourceSplit>> splits;
  for (const auto& p : paths_) splits.push_back(std::make_shared<FileSplit>(p));
  return splits;
}

Result<std::unique_ptr<SplitReader>> IpcSource::Open(const SourceSplit& split) {
  const auto* file_split = dynamic_cast<const FileSplit*>(&split);
  SABOT_CHECK(file_split != nullptr);
  const std::string& path = file_split->path();
  ARROW_ASSIGN_OR_RAISE(auto reader, OpenIpc(path, spec_.format));
  ARROW_RETURN_NOT_OK(CheckSameSchema(*file_schema_, *reader->schema(), path, schema_from_));
  const FileFormat format = spec_.format;
  auto on_error = [path, format](const Status& st) { return Corrupt(st, path, format); };
  return std::make_unique<BatchReaderSplit>(std::move(reader), schema_, columns_, path,
                                            on_error);
}

}  // namespace sabot
