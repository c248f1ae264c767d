// ParquetSource: Parquet files, one split per (file, row group), with column projection.
#include "sabot/io/parquet_source.h"

#include <algorithm>

#include <arrow/record_batch.h>
#include <arrow/type.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/exception.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>
#include <parquet/properties.h>

#include "sabot/io/file_paths.h"
#include "sabot/io/source_batch_reader.h"
#include "sabot/io/source_file_split.h"
#include "sabot/io/source_schema.h"

namespace sabot {
namespace {

constexpr int64_t kBatchRows = 64 * 1024;

Status Corrupt(const Status& st, const std::string& path) {
  return Status::IOError(path, ": not a valid Parquet file (truncated or corrupt): ",
                         st.message());
}

// Opens the footer. Parquet throws from some paths, so exceptions become a Status here.
Result<std::unique_ptr<parquet::arrow::FileReader>> OpenParquet(
    const std::string& path, std::shared_ptr<parquet::FileMetaData> footer = nullptr,
    const std::vector<int>& dictionary_leaves = {}) {
  parquet::ArrowReaderProperties props(/*use_threads=*/false);
  for (int leaf : dictionary_leaves) props.set_read_dictionary(leaf, true);
  // Fetch a row group's column chunks in few large reads instead of one per page.
  props.set_pre_buffer(true);
  props.set_batch_size(kBatchRows);
  parquet::arrow::FileReaderBuilder builder;
  try {
    Status st = builder.OpenFile(path, /*memory_map=*/false,
                                 parquet::default_reader_properties(), std::move(footer));
    if (!st.ok()) {
      if (st.IsIOError() && st.message().find("Failed to open") != std::string::npos) {
        return WithContext(st, path);
      }
      return Corrupt(st, path);
    }
    builder.properties(props);
    auto reader = builder.Build();
    if (!reader.ok()) return Corrupt(reader.status(), path);
    return std::move(reader).ValueUnsafe();
  } catch (const std::exception& e) {
    return Corrupt(Status::IOError(e.what()), path);
  }
}

// Parquet projects by leaf column; a top-level field may own several leaves.
void CollectLeaves(const parquet::arrow::SchemaField& field, std::vector<int>* leaves) {
  if (field.is_leaf()) leaves->push_back(field.column_index);
  for (const auto& child : field.children) CollectLeaves(child, leaves);
}

Result<std::shared_ptr<arrow::Schema>> ReadSchema(parquet::arrow::FileReader& reader,
                                                  const std::string& path) {
  std::shared_ptr<arrow::Schema> schema;
  Status st = reader.GetSchema(&schema);
  if (!st.ok()) return Corrupt(st, path);
  return schema;
}

}  // namespace

Result<std::shared_ptr<ParquetSource>> ParquetSource::Make(const SourceSpec& spec) {
  auto source = std::shared_ptr<ParquetSource>(new ParquetSource());
  source->spec_ = spec;
  ARROW_ASSIGN_OR_RAISE(source->paths_, ResolveFilePaths(spec.path));
  if (spec.schema) {
    source->file_schema_ = spec.schema;
    source->schema_from_ = "the explicit schema";
  } else {
    const std::string& first = source->paths_.front();
    ARROW_ASSIGN_OR_RAISE(auto reader, OpenParquet(first));
    ARROW_ASSIGN_OR_RAISE(source->file_schema_, ReadSchema(*reader, first));
    source->schema_from_ = first;
  }
  ARROW_ASSIGN_OR_RAISE(source->fields_,
                        ResolveColumns(*source->file_schema_, spec.columns, spec.path));
  source->schema_ = SelectFields(*source->file_schema_, source->fields_);
  source->plain_schema_ = source->schema_;
  source->read_file_schema_ = source->file_schema_;
  return source;
}

std::vector<std::string> ParquetSource::DictionaryEncodedStringColumns() const {
  std::vector<std::string> out;
  auto reader = OpenParquet(paths_.front());
  if (!reader.ok()) return out;  // Splits() and Open() report the error
  const auto& meta = *(*reader)->parquet_reader()->metadata();
  if (meta.num_row_groups() == 0) return out;
  auto row_group = meta.RowGroup(0);
  const auto& manifest = (*reader)->manifest();
  for (int f : fields_) {
    const auto& field = manifest.schema_fields[static_cast<size_t>(f)];
    if (!field.is_leaf() || field.field->type()->id() != arrow::Type::STRING) continue;
    if (row_group->ColumnChunk(field.column_index)->has_dictionary_page()) out.push_back(field.field->name());
  }
  return out;
}

void ParquetSource::ReadAsDictionary(const std::vector<std::string>& columns) {
  // Every file has the same schema (checked when opened), so the first one tells which
  // leaf columns the fields are.
  auto reader = OpenParquet(paths_.front());
  if (!reader.ok()) return;  // Splits() and Open() report the error
  const auto& manifest = (*reader)->manifest();
  auto file_fields = read_file_schema_->fields();
  auto fields = schema_->fields();
  for (size_t i = 0; i < fields_.size(); ++i) {
    const auto& field = plain_schema_->field(static_cast<int>(i));
    if (field->type()->id() != arrow::Type::STRING) continue;
    if (std::find(columns.begin(), columns.end(), field->name()) == columns.end()) continue;
    const auto& schema_field = manifest.schema_fields[static_cast<size_t>(fields_[i])];
    if (!schema_field.is_leaf()) continue;
    auto type = arrow::dictionary(arrow::int32(), arrow::utf8());
    fields[i] = field->WithType(type);
    file_fields[static_cast<size_t>(fields_[i])] = file_fields[static_cast<size_t>(fields_[i])]->WithType(type);
    if (std::find(dictionary_leaves_.begin(), dictionary_leaves_.end(), schema_field.column_index) ==
        dictionary_leaves_.end()) {
      dictionary_leaves_.push_back(schema_field.column_index);
    }
  }
  schema_ = arrow::schema(std::move(fields));
  read_file_schema_ = arrow::schema(std::move(file_fields));
}

std::string ParquetSource::ToString() const {
  return "ParquetSource(path=" + spec_.path + ")";
}

Result<std::vector<std::shared_ptr<SourceSplit>>> ParquetSource::Splits() {
  std::vector<std::shared_ptr<SourceSplit>> splits;
  for (const auto& path : paths_) {
    ARROW_ASSIGN_OR_RAISE(auto reader, OpenParquet(path));
    ARROW_ASSIGN_OR_RAISE(auto schema, ReadSchema(*reader, path));
    ARROW_RETURN_NOT_OK(CheckSameSchema(*file_schema_, *schema, path, schema_from_));
    auto footer = reader->parquet_reader()->metadata();
    {
      std::lock_guard<std::mutex> lock(footers_mutex_);
      footers_[path] = footer;
    }
    const auto& meta = *footer;
    for (int rg = 0; rg < meta.num_row_groups(); ++rg) {
      splits.push_back(std::make_shared<FileSplit>(path, rg, meta.RowGroup(rg)->num_rows()));
    }
  }
  return splits;
}

namespace {

// Owns the FileReader its RecordBatchReader reads from (Arrow requires it to outlive it).
class RowGroupBatches : public arrow::RecordBatchReader {
 public:
  RowGroupBatches(std::unique_ptr<parquet::arrow::FileReader> file,
                  std::unique_ptr<arrow::RecordBatchReader> batches)
      : file_(std::move(file)), batches_(std::move(batches)) {}
  ~RowGroupBatches() override { batches_.reset(); }

  std::shared_ptr<arrow::Schema> schema() const override { return batches_->schema(); }
  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    try {
      return batches_->ReadNext(batch);
    } catch (const std::exception& e) {
      return Status::IOError(e.what());
    }
  }

 private:
  std::unique_ptr<parquet::arrow::FileReader> file_;
  std::unique_ptr<arrow::RecordBatchReader> batches_;
};

}  // namespace

Result<std::unique_ptr<SplitReader>> ParquetSource::Open(const SourceSplit& split) {
  const auto* file_split = dynamic_cast<const FileSplit*>(&split);
  SABOT_CHECK(file_split != nullptr && file_split->row_group() >= 0);
  const std::string& path = file_split->path();
  std::shared_ptr<parquet::FileMetaData> footer;
  {
    std::lock_guard<std::mutex> lock(footers_mutex_);
    if (auto it = footers_.find(path); it != footers_.end()) footer = it->second;
  }
  ARROW_ASSIGN_OR_RAISE(auto reader, OpenParquet(path, std::move(footer), dictionary_leaves_));
  ARROW_ASSIGN_OR_RAISE(auto schema, ReadSchema(*reader, path));
  ARROW_RETURN_NOT_OK(CheckSameSchema(*read_file_schema_, *schema, path, schema_from_));

  // Parquet returns the projected fields in file order; remember where each requested
  // field lands so the batch can be put back in the requested order.
  std::vector<int> sorted = fields_;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> leaves;
  const auto& manifest = reader->manifest();
  for (int f : sorted) CollectLeaves(manifest.schema_fields[f], &leaves);
  std::vector<int> reorder;
  for (int f : fields_) {
    reorder.push_back(static_cast<int>(std::lower_bound(sorted.begin(), sorted.end(), f) -
                                       sorted.begin()));
  }

  std::unique_ptr<arrow::RecordBatchReader> batches;
  try {
    auto r = reader->GetRecordBatchReader({file_split->row_group()}, leaves);
    if (!r.ok()) return Corrupt(r.status(), path);
    batches = std::move(r).ValueUnsafe();
  } catch (const std::exception& e) {
    return Corrupt(Status::IOError(e.what()), path);
  }
  auto owned = std::make_shared<RowGroupBatches>(std::move(reader), std::move(batches));
  auto on_error = [path](const Status& st) { return Corrupt(st, path); };
  return std::make_unique<BatchReaderSplit>(std::move(owned), schema_, std::move(reorder),
                                            path, on_error);
}

}  // namespace sabot
