// SpillFile over Arrow IPC streams; SpilledPartitions routes rows with one Take per batch.
#include "sabot/exec/spill_file.h"

#include <system_error>

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>
#include <arrow/io/buffered.h>
#include <arrow/io/file.h>
#include <arrow/ipc/reader.h>
#include <arrow/ipc/writer.h>
#include <arrow/util/byte_size.h>

namespace sabot {

struct SpillFile::Writer {
  std::shared_ptr<arrow::io::OutputStream> stream;
  std::shared_ptr<arrow::ipc::RecordBatchWriter> ipc;
};

namespace {
// Buffers the IPC writer's many small writes (metadata, each buffer, padding).
constexpr int64_t kWriteBufferBytes = 64 * 1024;
}  // namespace

Result<std::unique_ptr<SpillFile>> SpillFile::Create(std::shared_ptr<MemoryBudget> budget,
                                                     std::shared_ptr<arrow::Schema> schema,
                                                     std::string_view label) {
  SABOT_CHECK(budget != nullptr);
  auto file = std::unique_ptr<SpillFile>(new SpillFile());
  ARROW_ASSIGN_OR_RAISE(file->path_, budget->NewSpillPath(label));
  file->budget_ = std::move(budget);
  file->schema_ = std::move(schema);
  file->writer_ = std::make_unique<Writer>();
  auto raw = arrow::io::FileOutputStream::Open(file->path_.string());
  if (!raw.ok()) return raw.status().WithMessage("cannot create spill file: ", raw.status().message());
  ARROW_ASSIGN_OR_RAISE(file->writer_->stream,
                        arrow::io::BufferedOutputStream::Create(kWriteBufferBytes, arrow::default_memory_pool(), *raw));
  ARROW_ASSIGN_OR_RAISE(file->writer_->ipc, arrow::ipc::MakeStreamWriter(file->writer_->stream, file->schema_));
  file->budget_->RecordSpillFile();
  return file;
}

SpillFile::~SpillFile() {
  if (writer_) {
    (void)writer_->ipc->Close();
    (void)writer_->stream->Close();
  }
  std::error_code ignored;  // the budget removes its folder anyway
  std::filesystem::remove(path_, ignored);
}

Status SpillFile::Write(const arrow::RecordBatch& batch) {
  SABOT_CHECK(writer_ != nullptr);
  if (batch.num_rows() == 0) return Status::OK();
  ARROW_ASSIGN_OR_RAISE(int64_t bytes, arrow::util::ReferencedBufferSize(batch));
  auto st = writer_->ipc->WriteRecordBatch(batch);
  if (!st.ok()) return st.WithMessage("writing spill file ", path_.string(), ": ", st.message());
  num_rows_ += batch.num_rows();
  memory_bytes_ += bytes;
  return Status::OK();
}

Status SpillFile::Finish() {
  if (!writer_) return Status::OK();
  auto writer = std::move(writer_);
  ARROW_RETURN_NOT_OK(writer->ipc->Close());
  ARROW_RETURN_NOT_OK(writer->stream->Close());
  ARROW_ASSIGN_OR_RAISE(int64_t size, [&]() -> Result<int64_t> {
    std::error_code error;
    auto n = std::filesystem::file_size(path_, error);
    return error ? 0 : static_cast<int64_t>(n);
  }());
  budget_->RecordSpilledBytes(size);
  return Status::OK();
}

Result<std::shared_ptr<arrow::RecordBatchReader>> SpillFile::OpenReader() const {
  SABOT_CHECK(writer_ == nullptr);
  auto input = arrow::io::ReadableFile::Open(path_.string());
  if (!input.ok()) return input.status().WithMessage("cannot read spill file: ", input.status().message());
  auto buffered = arrow::io::BufferedInputStream::Create(kWriteBufferBytes, arrow::default_memory_pool(), *input);
  ARROW_RETURN_NOT_OK(buffered.status());
  ARROW_ASSIGN_OR_RAISE(auto reader, arrow::ipc::RecordBatchStreamReader::Open(*buffered));
  return reader;
}

Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> ReadSpillFile(const SpillFile& file) {
  ARROW_ASSIGN_OR_RAISE(auto reader, file.OpenReader());
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(auto batch, reader->Next());
    if (!batch) break;
    batches.push_back(std::move(batch));
  }
  return batches;
}

Result<std::unique_ptr<SpilledPartitions>> SpilledPartitions::Make(std::shared_ptr<MemoryBudget> budget,
                                                                   std::shared_ptr<arrow::Schema> schema,
                                                                   int num_partitions, std::string_view label) {
  SABOT_CHECK(num_partitions > 0 && num_partitions <= 65536);
  auto out = std::make_unique<SpilledPartitions>();
  for (int p = 0; p < num_partitions; ++p) {
    ARROW_ASSIGN_OR_RAISE(auto file, SpillFile::Create(budget, schema, label));
    out->files_.push_back(std::move(file));
  }
  return out;
}

Status SpilledPartitions::Append(const std::shared_ptr<arrow::RecordBatch>& batch,
                                 const std::vector<uint16_t>& partition_of) {
  const int64_t n = batch->num_rows();
  SABOT_CHECK(static_cast<int64_t>(partition_of.size()) == n);
  if (n == 0) return Status::OK();
  // Counting sort of the row numbers by partition (stable), then one Take and a slice
  // per partition.
  const int parts = num_partitions();
  std::vector<int64_t> start(parts + 1, 0);
  for (uint16_t p : partition_of) {
    SABOT_CHECK(p < parts);
    ++start[p + 1];
  }
  for (int p = 0; p < parts; ++p) start[p + 1] += start[p];
  if (start[partition_of[0] + 1] - start[partition_of[0]] == n) return files_[partition_of[0]]->Write(*batch);
  ARROW_ASSIGN_OR_RAISE(auto indices_buffer, arrow::AllocateBuffer(n * static_cast<int64_t>(sizeof(int64_t))));
  auto* indices = reinterpret_cast<int64_t*>(indices_buffer->mutable_data());
  std::vector<int64_t> next(start.begin(), start.end() - 1);
  for (int64_t i = 0; i < n; ++i) indices[next[partition_of[i]]++] = i;
  auto index_array = std::make_shared<arrow::Int64Array>(n, std::move(indices_buffer));
  ARROW_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(arrow::Datum(batch), arrow::Datum(index_array)));
  const auto& routed = taken.record_batch();
  for (int p = 0; p < parts; ++p) {
    if (start[p + 1] > start[p]) ARROW_RETURN_NOT_OK(files_[p]->Write(*routed->Slice(start[p], start[p + 1] - start[p])));
  }
  return Status::OK();
}

Status SpilledPartitions::Finish() {
  for (auto& file : files_) {
    if (file) ARROW_RETURN_NOT_OK(file->Finish());
  }
  return Status::OK();
}

}  // namespace sabot
