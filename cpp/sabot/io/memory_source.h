// MemorySource: an in-memory arrow::Table served as zero-copy slices, optionally with
// bounded-out-of-orderness watermarks on an event-time column.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sabot/exec/source.h"
#include "sabot/plan/source_spec.h"

namespace sabot {

//! A row range of the table; the morsel of a MemorySource.
class TableSliceSplit : public SourceSplit {
 public:
  TableSliceSplit(int64_t offset, int64_t length) : offset_(offset), length_(length) {}
  int64_t offset() const { return offset_; }
  int64_t length() const { return length_; }
  std::string ToString() const override;

 private:
  int64_t offset_;
  int64_t length_;
};

class MemorySource : public Source {
 public:
  static constexpr int64_t kSliceRows = 64 * 1024;

  static Result<std::shared_ptr<MemorySource>> Make(const SourceSpec& spec);

  std::string ToString() const override;
  const std::shared_ptr<arrow::Schema>& schema() const override { return schema_; }
  Result<std::vector<std::shared_ptr<SourceSplit>>> Splits() override;
  Result<std::unique_ptr<SplitReader>> Open(const SourceSplit& split) override;

 private:
  MemorySource() = default;

  std::string name_;
  std::shared_ptr<arrow::Table> table_;  // already projected
  std::shared_ptr<arrow::Schema> schema_;
  int event_time_column_ = -1;  // emits watermarks when >= 0
  int64_t max_out_of_orderness_us_ = 0;
};

}  // namespace sabot
