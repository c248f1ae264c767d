// Spill files: batches an operator moved out of memory, written as an Arrow IPC stream
// in the job's spill folder and read back in a later pass; and a set of them, one per
// hash partition.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"
#include "sabot/exec/memory_budget.h"

namespace sabot {

//! Written once (Write... then Finish), then read any number of times. The file is
//! removed on destruction, so a failed job leaves no spill behind.
class SpillFile {
 public:
  static Result<std::unique_ptr<SpillFile>> Create(std::shared_ptr<MemoryBudget> budget,
                                                   std::shared_ptr<arrow::Schema> schema, std::string_view label);
  ~SpillFile();

  Status Write(const arrow::RecordBatch& batch);
  //! Ends writing.
  Status Finish();
  //! The batches in the order they were written; after Finish.
  Result<std::shared_ptr<arrow::RecordBatchReader>> OpenReader() const;

  int64_t num_rows() const { return num_rows_; }
  //! Memory the written batches held (as they were given), to judge if they fit back.
  int64_t memory_bytes() const { return memory_bytes_; }
  const std::filesystem::path& path() const { return path_; }
  const std::shared_ptr<arrow::Schema>& schema() const { return schema_; }

 private:
  SpillFile() = default;
  struct Writer;

  std::shared_ptr<MemoryBudget> budget_;  // keeps the spill folder alive
  std::shared_ptr<arrow::Schema> schema_;
  std::filesystem::path path_;
  std::unique_ptr<Writer> writer_;  // null once finished
  int64_t num_rows_ = 0;
  int64_t memory_bytes_ = 0;
};

//! Rows routed by partition number into one spill file per partition.
class SpilledPartitions {
 public:
  static Result<std::unique_ptr<SpilledPartitions>> Make(std::shared_ptr<MemoryBudget> budget,
                                                         std::shared_ptr<arrow::Schema> schema,
                                                         int num_partitions, std::string_view label);

  //! Writes row i of `batch` to partition `partition_of[i]` (< num_partitions), keeping
  //! the rows' order within each partition.
  Status Append(const std::shared_ptr<arrow::RecordBatch>& batch, const std::vector<uint16_t>& partition_of);
  Status Finish();

  int num_partitions() const { return static_cast<int>(files_.size()); }
  SpillFile& partition(int p) { return *files_[p]; }
  //! Gives up partition p's file (removing it when the caller drops it).
  std::unique_ptr<SpillFile> Release(int p) { return std::move(files_[p]); }

 private:
  std::vector<std::unique_ptr<SpillFile>> files_;
};

//! Reads every batch of `file`.
Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> ReadSpillFile(const SpillFile& file);

}  // namespace sabot
