// FileSink: the "write to a temporary, rename on success" protocol shared by every
// file format; subclasses only encode batches.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <arrow/io/type_fwd.h>

#include "sabot/io/batch_sink.h"

namespace sabot {

//! Writes to "<path>.sabot-tmp-<pid>" and renames it over `path` at EndOfStream, so
//! readers see either the old file or the complete new one, never a partial write.
//! Abort(), an error, or destroying an uncommitted sink removes the temporary.
class FileSink : public BatchSink {
 public:
  ~FileSink() override;

  const std::string& path() const { return path_; }
  const std::filesystem::path& temp_path() const { return temp_path_; }

 public:
  // Public so subclasses can inherit it; FileSink itself is abstract.
  FileSink(std::string path, std::shared_ptr<arrow::Schema> input_schema, SinkOutput* output)
      : BatchSink(std::move(input_schema), output), path_(std::move(path)) {}

 protected:
  //! Checks the target directory and opens the temporary; then calls StartFormat.
  //! Subclass factories call it right after construction.
  Status Open();

  //! Creates the format writer on `stream` (headers, magic bytes go to the temporary).
  virtual Status StartFormat(std::shared_ptr<arrow::io::OutputStream> stream) = 0;
  //! Encodes one non-empty batch.
  virtual Status WriteBatch(const arrow::RecordBatch& batch) = 0;
  //! Writes footers; the stream is closed by FileSink afterwards.
  virtual Status FinishFormat() = 0;

  //! Prefixes an error with the final path, e.g. "cannot write out/x.csv: ...".
  Status Context(const Status& st) const;

 private:
  Status Consume(const std::shared_ptr<arrow::RecordBatch>& batch) final;
  Status Commit() final;
  Status Discard() final;
  //! Closes the stream and removes the temporary; best effort in the destructor.
  Status RemoveTemporary();

  std::string path_;
  std::filesystem::path temp_path_;
  std::shared_ptr<arrow::io::FileOutputStream> stream_;
  bool temp_exists_ = false;
};

}  // namespace sabot
