// The temporary-file-and-rename protocol of file sinks.
#include "sabot/io/file_sink.h"

#include <unistd.h>

#include <system_error>

#include <arrow/io/file.h>
#include <arrow/record_batch.h>

namespace sabot {

namespace fs = std::filesystem;

FileSink::~FileSink() {
  // An uncommitted sink must not leave a stray temporary; errors have nowhere to go.
  (void)RemoveTemporary();
}

Status FileSink::Context(const Status& st) const {
  if (st.ok()) return st;
  return st.WithMessage("cannot write ", path_, ": ", st.message());
}

Status FileSink::Open() {
  if (path_.empty()) return Status::Invalid("a file sink needs a path");
  const fs::path target(path_);
  std::error_code ec;
  // Checked here so the user learns which directory is missing, not just "ENOENT".
  const fs::path parent = target.parent_path();
  if (!parent.empty()) {
    const auto parent_status = fs::status(parent, ec);
    if (!fs::exists(parent_status)) {
      return Context(Status::IOError("directory '", parent.string(), "' does not exist"));
    }
    if (!fs::is_directory(parent_status)) {
      return Context(Status::IOError("'", parent.string(), "' is not a directory"));
    }
  }
  if (fs::is_directory(target, ec)) {
    return Context(Status::IOError("it is a directory"));
  }
  // The pid keeps two processes writing the same path from sharing a temporary.
  temp_path_ = target;
  temp_path_ += ".sabot-tmp-" + std::to_string(::getpid());
  auto stream = arrow::io::FileOutputStream::Open(temp_path_.string());
  if (!stream.ok()) return Context(stream.status());
  stream_ = *std::move(stream);
  temp_exists_ = true;
  if (Status st = StartFormat(stream_); !st.ok()) {
    (void)RemoveTemporary();
    return Context(st);
  }
  return Status::OK();
}

Status FileSink::Consume(const std::shared_ptr<arrow::RecordBatch>& batch) {
  SABOT_CHECK(stream_ != nullptr);
  // An empty batch carries no rows; the file's schema comes from the input schema.
  if (batch->num_rows() == 0) return Status::OK();
  return Context(WriteBatch(*batch));
}

Status FileSink::Commit() {
  SABOT_CHECK(stream_ != nullptr);
  ARROW_RETURN_NOT_OK(Context(FinishFormat()));
  if (!stream_->closed()) ARROW_RETURN_NOT_OK(Context(stream_->Close()));
  std::error_code ec;
  // rename(2) replaces an existing file atomically within one file system.
  fs::rename(temp_path_, fs::path(path_), ec);
  if (ec) {
    return Context(Status::IOError("renaming '", temp_path_.string(), "' failed: ",
                                   ec.message()));
  }
  temp_exists_ = false;
  return Status::OK();
}

Status FileSink::Discard() { return RemoveTemporary(); }

Status FileSink::RemoveTemporary() {
  // A close error on a file that is deleted next does not matter.
  if (stream_ != nullptr && !stream_->closed()) (void)stream_->Close();
  if (!temp_exists_) return Status::OK();
  temp_exists_ = false;
  std::error_code ec;
  fs::remove(temp_path_, ec);
  if (ec) {
    return Context(Status::IOError("removing '", temp_path_.string(), "' failed: ",
                                   ec.message()));
  }
  return Status::OK();
}

}  // namespace sabot
