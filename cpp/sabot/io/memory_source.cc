// MemorySource: an in-memory arrow::Table served as zero-copy slices.
#include "sabot/io/memory_source.h"

#include <arrow/table.h>

#include "sabot/exec/event_time.h"
#include "sabot/io/source_batch_reader.h"
#include "sabot/io/source_schema.h"
#include "sabot/io/watermark_split.h"

namespace sabot {

std::string TableSliceSplit::ToString() const {
  return "TableSlice(offset=" + std::to_string(offset_) + ", length=" +
         std::to_string(length_) + ")";
}

Result<std::shared_ptr<MemorySource>> MemorySource::Make(const SourceSpec& spec) {
  if (spec.table == nullptr) {
    return Status::Invalid("memory source '", spec.table_name, "' has no table");
  }
  auto source = std::shared_ptr<MemorySource>(new MemorySource());
  source->name_ = spec.table_name;
  ARROW_ASSIGN_OR_RAISE(auto indices,
                        ResolveColumns(*spec.table->schema(), spec.columns, spec.table_name));
  ARROW_ASSIGN_OR_RAISE(source->table_, spec.table->SelectColumns(indices));
  source->schema_ = source->table_->schema();
  if (!spec.event_time_column.empty()) {
    ARROW_ASSIGN_OR_RAISE(source->event_time_column_,
                          ResolveTimeColumn(*source->schema_, spec.event_time_column, "event time column"));
    if (spec.max_out_of_orderness_us < 0) {
      return Status::Invalid("max out-of-orderness must not be negative, got ", spec.max_out_of_orderness_us, " us");
    }
    source->max_out_of_orderness_us_ = spec.max_out_of_orderness_us;
  }
  return source;
}

std::string MemorySource::ToString() const {
  return "MemorySource(table=" + name_ + ", rows=" + std::to_string(table_->num_rows()) + ")";
}

Result<std::vector<std::shared_ptr<SourceSplit>>> MemorySource::Splits() {
  std::vector<std::shared_ptr<SourceSplit>> splits;
  const int64_t rows = table_->num_rows();
  for (int64_t offset = 0; offset < rows; offset += kSliceRows) {
    splits.push_back(std::make_shared<TableSliceSplit>(offset, std::min(kSliceRows, rows - offset)));
  }
  return splits;
}

Result<std::unique_ptr<SplitReader>> MemorySource::Open(const SourceSplit& split) {
  const auto* slice = dynamic_cast<const TableSliceSplit*>(&split);
  SABOT_CHECK(slice != nullptr);
  SABOT_CHECK(slice->offset() >= 0 && slice->offset() + slice->length() <= table_->num_rows());
  auto reader = std::make_shared<arrow::TableBatchReader>(
      table_->Slice(slice->offset(), slice->length()));
  auto split_reader = std::make_unique<BatchReaderSplit>(std::move(reader), schema_, std::vector<int>{}, name_);
  if (event_time_column_ < 0) return split_reader;
  return std::make_unique<WatermarkingSplit>(std::move(split_reader), event_time_column_,
                                             schema_->field(event_time_column_)->name(), max_out_of_orderness_us_);
}

}  // namespace sabot
