// ParquetSource: Parquet files, one split per (file, row group), with column projection.
#include "sabot/io/parquet_source.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include <arrow/compute/api_aggregate.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/compute/exec.h>
#include <arrow/io/file.h>
#include <arrow/memory_pool.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/column_page.h>
#include <parquet/column_reader.h>
#include <parquet/exception.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>
#include <parquet/properties.h>
#include <parquet/statistics.h>

#include "sabot/common/type_names.h"
#include "sabot/exec/operator_metrics.h"
#include "sabot/expr/decimal_to_float64.h"
#include "sabot/io/file_paths.h"
#include "sabot/io/parquet_flat_column.h"
#include "sabot/io/parquet_footer_cache.h"
#include "sabot/io/parquet_read_error.h"
#include "sabot/io/parquet_row_group_batches.h"
#include "sabot/io/parquet_row_group_pruning.h"
#include "sabot/io/parquet_snappy_pages.h"
#include "sabot/io/source_batch_reader.h"
#include "sabot/io/source_file_split.h"
#include "sabot/io/source_schema.h"
#include "sabot/ops/join_hash_table.h"
#include "sabot/ops/join_keys.h"

namespace sabot {
namespace {

// The stored bytes of a chunk's dictionary page (it lies before the first data page);
// not above 0 when the chunk has none.
int64_t DictionaryBytes(const parquet::ColumnChunkMetaData& chunk) {
  return chunk.data_page_offset() - chunk.dictionary_page_offset();
}

// Whether a chunk's dictionary page takes under an eighth of the chunk: a filter that
// tests the column per dictionary entry then does far less than per row (a column of
// mostly distinct strings, such as comments, has a dictionary as large as its rows).
bool SmallDictionary(const parquet::ColumnChunkMetaData& chunk) {
  const int64_t dictionary_bytes = DictionaryBytes(chunk);
  return dictionary_bytes > 0 && dictionary_bytes * 8 < chunk.total_compressed_size();
}

// Dictionaries read at plan time for their entry count: a dimension table's, not a
// million distinct strings' that a scan would decompress again anyway.
constexpr int64_t kMaxPlanTimeDictionaryBytes = int64_t{1} << 20;

// Whether a chunk's dictionary holds every distinct value of its file, and is small enough
// to read while planning: a file of one row group (a dimension table such as TPC-H's
// nation, whose 25 names are 25 entries of a dictionary as large as the column). In a file
// of several row groups a mostly distinct column's first dictionary undercounts it.
bool WholeFileDictionary(const parquet::FileMetaData& meta, const parquet::ColumnChunkMetaData& chunk) {
  const int64_t dictionary_bytes = DictionaryBytes(chunk);
  return meta.num_row_groups() == 1 && dictionary_bytes > 0 && dictionary_bytes <= kMaxPlanTimeDictionaryBytes;
}

// Top-level string and binary leaf columns of a row group stored with a small dictionary
// on every page: reading them as Arrow dictionaries and expanding them with one take over
// the dictionary (see RowGroupBatches) is several times faster than Arrow decoding them
// value by value. Not so for a dictionary about as large as the chunk (mostly distinct
// strings: names, phone numbers, comments): Arrow's dictionary reader hashes every entry
// of each new dictionary into a memo table, which cost more than the decode it replaced
// (TPC-H Q22 hashed the 150K customers' phone numbers on each of its three reads).
std::vector<int> DictionaryPagedLeaves(const parquet::FileMetaData& meta, int row_group) {
  std::vector<int> leaves;
  if (row_group < 0 || row_group >= meta.num_row_groups()) return leaves;
  const parquet::SchemaDescriptor& schema = *meta.schema();
  auto chunks = meta.RowGroup(row_group);
  for (int c = 0; c < schema.num_columns(); ++c) {
    const parquet::ColumnDescriptor& column = *schema.Column(c);
    if (column.physical_type() != parquet::Type::BYTE_ARRAY || column.max_repetition_level() > 0 ||
        column.path()->ToDotVector().size() != 1) {
      continue;
    }
    const auto chunk = chunks->ColumnChunk(c);
    if (AllPagesUseTheDictionary(*chunk) && SmallDictionary(*chunk)) leaves.push_back(c);
  }
  return leaves;
}

// Opens the file with its footer: `footer`, else the one kept for the file (see
// parquet_footer_cache.h), else parsed and then kept. Parquet throws from some paths, so
// exceptions become a Status here.
Result<std::unique_ptr<parquet::arrow::FileReader>> OpenParquet(
    const std::string& path, std::shared_ptr<parquet::FileMetaData> footer = nullptr,
    const std::vector<int>& dictionary_leaves = {}) {
  std::optional<ParquetFileStamp> stamp;
  if (footer == nullptr) {
    stamp = StampParquetFile(path);
    if (stamp) footer = FindParquetFooter(path, *stamp);
  }
  const bool parsed_here = footer == nullptr;
  parquet::ArrowReaderProperties props(/*use_threads=*/false);
  for (int leaf : dictionary_leaves) props.set_read_dictionary(leaf, true);
  // No pre-buffering (Arrow's default is on): it reaches into Arrow's own file contents,
  // which the Snappy-aware reader wraps; that reader reads each column chunk in one read
  // as its column is opened.
  props.set_pre_buffer(false);
  props.set_batch_size(kParquetBatchRows);
  auto file = arrow::io::ReadableFile::Open(path);
  if (!file.ok()) return WithContext(file.status(), path);
  try {
    auto parquet_reader = OpenSnappyParquetFile(*std::move(file), std::move(footer));
    auto reader = parquet::arrow::FileReader::Make(arrow::default_memory_pool(), std::move(parquet_reader), props);
    if (!reader.ok()) return ParquetReadError(reader.status(), path);
    if (parsed_here && stamp) KeepParquetFooter(path, *stamp, (*reader)->parquet_reader()->metadata());
    return std::move(reader).ValueUnsafe();
  } catch (const std::exception& e) {
    return ParquetReadError(ParquetExceptionStatus(e), path);
  }
}

// Parquet projects by leaf column; a top-level field may own several leaves.
void CollectLeaves(const parquet::arrow::SchemaField& field, std::vector<int>* leaves) {
  if (field.is_leaf()) leaves->push_back(field.column_index);
  for (const auto& child : field.children) CollectLeaves(child, leaves);
}

std::shared_ptr<arrow::Schema> SchemaWithoutViews(const arrow::Schema& schema) {
  arrow::FieldVector fields;
  for (const auto& f : schema.fields()) fields.push_back(f->WithType(WithoutViews(f->type())));
  return arrow::schema(std::move(fields), schema.metadata());
}

Result<std::shared_ptr<arrow::Schema>> ReadSchema(parquet::arrow::FileReader& reader,
                                                  const std::string& path) {
  std::shared_ptr<arrow::Schema> schema;
  Status st = reader.GetSchema(&schema);
  if (!st.ok()) return ParquetReadError(st, path);
  return SchemaWithoutViews(*schema);
}

// `schema` with the columns `read_as` names as the types it gives them. A decimal column
// read as float64 is the one conversion there is (see SourceSpec::read_as).
Result<std::shared_ptr<arrow::Schema>> ApplyReadAs(const arrow::Schema& schema, const arrow::FieldVector& read_as,
                                                   const std::string& path) {
  if (!read_as.empty()) ARROW_RETURN_NOT_OK(RegisterDecimalToFloat64());  // for what the flat reader leaves
  arrow::FieldVector fields = schema.fields();
  for (const auto& want : read_as) {
    const int i = schema.GetFieldIndex(want->name());
    if (i < 0) return Status::Invalid(path, ": read_as names column '", want->name(), "', which is not read");
    if (!IsDecimalAsFloat64(*fields[static_cast<size_t>(i)]->type(), *want->type())) {
      return Status::TypeError(path, ": column '", want->name(), "' cannot be read as ", FormatDataType(*want->type()),
                               ": it is ", FormatDataType(*fields[static_cast<size_t>(i)]->type()),
                               " (a Parquet source reads only decimal columns as float64)");
    }
    fields[static_cast<size_t>(i)] = want;
  }
  return arrow::schema(std::move(fields), schema.metadata());
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
  ARROW_ASSIGN_OR_RAISE(source->schema_, ApplyReadAs(*source->schema_, spec.read_as, spec.path));
  source->plain_schema_ = source->schema_;
  source->read_file_schema_ = source->file_schema_;
  for (size_t i = 0; i < source->fields_.size(); ++i) {
    const auto& field = source->schema_->field(static_cast<int>(i));
    if (!field->Equals(*source->file_schema_->field(source->fields_[i]))) source->read_as_[source->fields_[i]] = field;
  }
  return source;
}

namespace {

// `column` >= the smallest of `build_keys` and <= the largest, in `column`'s type `type`;
// nullopt when the keys hold no value or their bounds do not cast to `type`.
std::optional<Expr> WithinBuildKeys(const std::string& column, const std::shared_ptr<arrow::DataType>& type,
                                    const std::shared_ptr<arrow::Array>& build_keys) {
  auto min_max = arrow::compute::MinMax(build_keys);
  if (!min_max.ok()) return std::nullopt;
  const auto& bounds = static_cast<const arrow::StructScalar&>(*min_max->scalar());
  if (!bounds.is_valid || !bounds.value[0]->is_valid) return std::nullopt;
  auto min = bounds.value[0]->CastTo(type);
  auto max = bounds.value[1]->CastTo(type);
  if (!min.ok() || !max.ok()) return std::nullopt;
  return col(column) >= Expr::Literal(*min) && col(column) <= Expr::Literal(*max);
}

}  // namespace

Status ParquetSource::FilterRowsByJoinKeys(std::shared_ptr<const JoinHashTable> table,
                                           const std::vector<std::string>& keys, const void* join,
                                           OperatorMetrics* metrics) {
  SABOT_CHECK(join_test_ == nullptr && table != nullptr && join != nullptr);
  if (opened_.load() || keys.empty()) return Status::OK();
  auto test = std::make_shared<ParquetJoinKeyTest>();
  for (const auto& name : keys) {
    const auto found = schema_->GetAllFieldIndices(name);
    if (found.size() != 1 || !IsSupportedJoinKeyType(*schema_->field(found.front())->type())) return Status::OK();
    test->columns.push_back(found.front());
  }
  if (keys.size() == 1) {
    const auto& type = plain_schema_->field(test->columns.front())->type();
    if (auto within = WithinBuildKeys(keys.front(), type, table->keys().columns().front().array())) {
      join_pruning_ = RowGroupPruning::Make(*within, plain_schema_, ProjectedLeaves());
      join_metrics_ = metrics;
    }
  }
  test->table = std::move(table);
  join_test_ = std::move(test);
  joined_by_ = join;
  return Status::OK();
}

Status ParquetSource::FilterRows(const Expr& predicate, const void* filter, OperatorMetrics* metrics) {
  SABOT_CHECK(filter_ == nullptr && filter != nullptr);
  std::vector<int> columns;
  for (const auto& name : predicate.ColumnRefs()) {
    const auto found = schema_->GetAllFieldIndices(name);
    if (found.size() != 1) {
      // Unknown or ambiguous: binding to the whole schema says so, naming what exists.
      ARROW_RETURN_NOT_OK(FilterPredicate::Make(schema_, predicate).status());
      return Status::Invalid("filter predicate `", predicate.ToString(), "`: column '", name, "' is ambiguous");
    }
    columns.push_back(found.front());
  }
  std::sort(columns.begin(), columns.end());
  columns.erase(std::unique(columns.begin(), columns.end()), columns.end());
  arrow::FieldVector fields;
  for (int c : columns) fields.push_back(schema_->field(c));
  auto schema = arrow::schema(std::move(fields));
  ARROW_ASSIGN_OR_RAISE(auto bound, FilterPredicate::Make(schema, predicate));
  filter_ = std::make_shared<const FilterPredicate>(std::move(bound));
  filter_schema_ = std::move(schema);
  filter_columns_ = std::move(columns);
  filtered_by_ = filter;
  filter_metrics_ = metrics;
  pruning_ = RowGroupPruning::Make(predicate, plain_schema_, ProjectedLeaves());
  return Status::OK();
}

std::vector<int> ParquetSource::ProjectedLeaves() const {
  auto reader = OpenParquet(paths_.front());  // every file has the same schema
  if (!reader.ok()) return {};
  std::vector<int> leaves;
  for (int f : fields_) {
    const auto& field = (*reader)->manifest().schema_fields[static_cast<size_t>(f)];
    leaves.push_back(field.is_leaf() ? field.column_index : -1);
  }
  return leaves;
}

namespace {

// How ReadDictionaryStringsAsDictionaries reads a string column: a row group's
// dictionary and int32 indices, as stored.
std::shared_ptr<arrow::DataType> DictionaryStringType() { return arrow::dictionary(arrow::int32(), arrow::utf8()); }

}  // namespace

std::vector<std::pair<size_t, int>> ParquetSource::SmallDictionaryStrings(const std::vector<std::string>& tested) const {
  // Every file has the same schema (checked when opened), so the first one tells which
  // leaf columns the fields are and, from its first row group, how they are stored.
  auto reader = OpenParquet(paths_.front());
  if (!reader.ok()) return {};  // Splits() and Open() report the error
  const auto& meta = *(*reader)->parquet_reader()->metadata();
  if (meta.num_row_groups() == 0) return {};
  auto row_group = meta.RowGroup(0);
  const auto& manifest = (*reader)->manifest();
  std::vector<std::pair<size_t, int>> found;
  for (size_t i = 0; i < fields_.size(); ++i) {
    const auto& field = plain_schema_->field(static_cast<int>(i));
    const auto& schema_field = manifest.schema_fields[static_cast<size_t>(fields_[i])];
    if (field->type()->id() != arrow::Type::STRING || !schema_field.is_leaf()) continue;
    auto chunk = row_group->ColumnChunk(schema_field.column_index);
    if (!chunk->has_dictionary_page() || !SmallDictionary(*chunk)) continue;
    const bool is_tested = std::find(tested.begin(), tested.end(), field->name()) != tested.end();
    if (is_tested && !AllPagesUseTheDictionary(*chunk)) continue;
    found.emplace_back(i, schema_field.column_index);
  }
  return found;
}

std::vector<std::shared_ptr<arrow::DataType>> ParquetSource::TypesReadAsDictionaries(
    const std::vector<std::string>& columns) const {
  std::vector<std::shared_ptr<arrow::DataType>> types;
  for (const auto& name : columns) {
    const int index = plain_schema_->GetFieldIndex(name);
    if (index < 0) return {};
    types.push_back(plain_schema_->field(index)->type());
  }
  for (const auto& [field, leaf] : SmallDictionaryStrings({})) {
    const auto& name = plain_schema_->field(static_cast<int>(field))->name();
    for (size_t c = 0; c < columns.size(); ++c) {
      if (columns[c] == name) types[c] = DictionaryStringType();
    }
  }
  return types;
}

void ParquetSource::ReadDictionaryStringsAsDictionaries(const std::vector<std::string>& except,
                                                        const std::vector<std::string>& tested) {
  const auto type = DictionaryStringType();
  auto file_fields = read_file_schema_->fields();
  auto fields = schema_->fields();
  for (const auto& [i, leaf] : SmallDictionaryStrings(tested)) {
    if (std::find(except.begin(), except.end(), fields[i]->name()) != except.end()) continue;
    fields[i] = plain_schema_->field(static_cast<int>(i))->WithType(type);
    file_fields[static_cast<size_t>(fields_[i])] = file_fields[static_cast<size_t>(fields_[i])]->WithType(type);
    if (std::find(dictionary_leaves_.begin(), dictionary_leaves_.end(), leaf) == dictionary_leaves_.end()) {
      dictionary_leaves_.push_back(leaf);
    }
  }
  schema_ = arrow::schema(std::move(fields));
  read_file_schema_ = arrow::schema(std::move(file_fields));
}

namespace {

// One row group's smallest and largest value of a number or date column on one line:
// dates in days, decimals stored as integers scaled. nullopt without statistics or for
// other types (strings, timestamps, unsigned integers).
std::optional<std::pair<double, double>> ChunkRange(const parquet::ColumnChunkMetaData& chunk,
                                                    const parquet::ColumnDescriptor& column) {
  auto stats = chunk.statistics();
  if (stats == nullptr || !stats->HasMinMax()) return std::nullopt;
  const auto& logical = column.logical_type();
  double scale = 1.0;
  if (logical != nullptr && logical->is_decimal()) {
    scale = std::pow(10.0, static_cast<const parquet::DecimalLogicalType&>(*logical).scale());
  } else if (logical != nullptr && !logical->is_none() && !logical->is_date() &&
             !(logical->is_int() && static_cast<const parquet::IntLogicalType&>(*logical).is_signed())) {
    return std::nullopt;
  }
  auto range = [&](auto& typed) {
    return std::make_pair(static_cast<double>(typed.min()) / scale, static_cast<double>(typed.max()) / scale);
  };
  switch (column.physical_type()) {
    case parquet::Type::INT32:
      return range(static_cast<const parquet::Int32Statistics&>(*stats));
    case parquet::Type::INT64:
      return range(static_cast<const parquet::Int64Statistics&>(*stats));
    case parquet::Type::FLOAT:
      return range(static_cast<const parquet::FloatStatistics&>(*stats));
    case parquet::Type::DOUBLE:
      return range(static_cast<const parquet::DoubleStatistics&>(*stats));
    default:
      return std::nullopt;
  }
}

}  // namespace

std::map<std::string, ColumnStats> ParquetSource::ColumnStatistics() const {
  std::map<std::string, ColumnStats> out;
  auto reader = OpenParquet(paths_.front());
  if (!reader.ok()) return out;  // Splits() and Open() report the error
  try {
    const auto& meta = *(*reader)->parquet_reader()->metadata();
    if (meta.num_row_groups() == 0) return out;
    auto first_row_group = (*reader)->parquet_reader()->RowGroup(0);
    const auto& manifest = (*reader)->manifest();
    for (size_t i = 0; i < fields_.size(); ++i) {
      const auto& field = plain_schema_->field(static_cast<int>(i));
      const auto& schema_field = manifest.schema_fields[static_cast<size_t>(fields_[i])];
      if (!schema_field.is_leaf()) continue;
      const int leaf = schema_field.column_index;
      if (field->type()->id() == arrow::Type::STRING) {
        auto chunk = meta.RowGroup(0)->ColumnChunk(leaf);
        if (!AllPagesUseTheDictionary(*chunk) || !(SmallDictionary(*chunk) || WholeFileDictionary(meta, *chunk))) {
          continue;
        }
        auto page = first_row_group->GetColumnPageReader(leaf)->NextPage();
        if (page != nullptr && page->type() == parquet::PageType::DICTIONARY_PAGE) {
          out[field->name()].distinct = static_cast<const parquet::DictionaryPage&>(*page).num_values();
        }
        continue;
      }
      const parquet::ColumnDescriptor& column = *meta.schema()->Column(leaf);
      std::optional<std::pair<double, double>> whole;
      for (int rg = 0; rg < meta.num_row_groups(); ++rg) {
        auto part = ChunkRange(*meta.RowGroup(rg)->ColumnChunk(leaf), column);
        if (!part) {
          whole.reset();
          break;
        }
        whole = whole ? std::make_pair(std::min(whole->first, part->first), std::max(whole->second, part->second))
                      : *part;
      }
      if (whole) out[field->name()].range = *whole;
    }
  } catch (const std::exception&) {
    // A statistic only: the scan reports what is wrong with the file.
  }
  return out;
}

std::vector<std::shared_ptr<arrow::Field>> ParquetSource::NativeReadTypes() const {
  std::vector<std::shared_ptr<arrow::Field>> out;
  auto reader = OpenParquet(paths_.front());
  if (!reader.ok()) return out;  // Splits() and Open() report the error
  const auto& manifest = (*reader)->manifest();
  const parquet::SchemaDescriptor& columns = *(*reader)->parquet_reader()->metadata()->schema();
  for (size_t i = 0; i < fields_.size(); ++i) {
    const auto& field = plain_schema_->field(static_cast<int>(i));
    const auto& schema_field = manifest.schema_fields[static_cast<size_t>(fields_[i])];
    if (!schema_field.is_leaf() || !IsDecimalAsFloat64(*field->type(), *arrow::float64())) continue;
    const auto physical = columns.Column(schema_field.column_index)->physical_type();
    if (physical == parquet::Type::INT32 || physical == parquet::Type::INT64) {
      out.push_back(arrow::field(field->name(), arrow::float64()));
    }
  }
  return out;
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

// A row group the scan's filter skips: no batch.
class EmptySplit final : public SplitReader {
 public:
  Result<SourcePoll> Next() override { return SourcePoll::Exhausted(); }
};

// Whether `pruning` shows from its statistics that no row of `row_group` passes; its
// rows then count as skipped in `metrics`.
bool SkipsRowGroup(const RowGroupPruning& pruning, const parquet::FileMetaData& footer, int row_group,
                   OperatorMetrics* metrics) {
  std::unique_ptr<parquet::RowGroupMetaData> meta;
  try {
    meta = footer.RowGroup(row_group);
  } catch (const std::exception&) {
    return false;  // reading it reports the error
  }
  if (!pruning.NoRowPasses(*meta)) return false;
  if (metrics != nullptr) metrics->skipped_rows.fetch_add(meta->num_rows(), std::memory_order_relaxed);
  return true;
}

}  // namespace

Result<std::unique_ptr<SplitReader>> ParquetSource::Open(const SourceSplit& split) {
  opened_.store(true);
  const auto* file_split = dynamic_cast<const FileSplit*>(&split);
  SABOT_CHECK(file_split != nullptr && file_split->row_group() >= 0);
  const std::string& path = file_split->path();
  std::shared_ptr<parquet::FileMetaData> footer;
  {
    std::lock_guard<std::mutex> lock(footers_mutex_);
    if (auto it = footers_.find(path); it != footers_.end()) footer = it->second;
  }
  if (footer == nullptr) {
    if (auto stamp = StampParquetFile(path)) footer = FindParquetFooter(path, *stamp);
  }
  // A row group the statistics rule out is skipped before the file is opened (Splits()
  // checked its schema); with no footer at hand, once it is.
  auto skips = [&](const parquet::FileMetaData& meta) {
    const int row_group = file_split->row_group();
    return (pruning_ != nullptr && SkipsRowGroup(*pruning_, meta, row_group, filter_metrics_)) ||
           (join_pruning_ != nullptr && SkipsRowGroup(*join_pruning_, meta, row_group, join_metrics_));
  };
  const bool had_footer = footer != nullptr;
  if (had_footer && skips(*footer)) return std::make_unique<EmptySplit>();
  // Leaves read as dictionaries: those the plan asked for (kept), and those whose pages
  // all use the dictionary in this row group (expanded after reading).
  std::vector<int> read_as_dictionary = dictionary_leaves_;
  std::vector<int> expanded;
  if (footer != nullptr) {
    for (int leaf : DictionaryPagedLeaves(*footer, file_split->row_group())) {
      if (std::find(read_as_dictionary.begin(), read_as_dictionary.end(), leaf) != read_as_dictionary.end()) continue;
      read_as_dictionary.push_back(leaf);
      expanded.push_back(leaf);
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto reader, OpenParquet(path, std::move(footer), read_as_dictionary));
  // The schema as the plan's own dictionary requests alone would give it.
  ARROW_ASSIGN_OR_RAISE(auto read_schema, ReadSchema(*reader, path));
  arrow::FieldVector as_planned = read_schema->fields();
  for (size_t f = 0; f < as_planned.size(); ++f) {
    const auto& field = reader->manifest().schema_fields[f];
    if (field.is_leaf() && std::count(expanded.begin(), expanded.end(), field.column_index) > 0) {
      const auto& type = as_planned[f]->type();
      if (type->id() == arrow::Type::DICTIONARY) {
        as_planned[f] = as_planned[f]->WithType(
            WithoutViews(static_cast<const arrow::DictionaryType&>(*type).value_type()));
      }
    }
  }
  auto schema = arrow::schema(std::move(as_planned), read_schema->metadata());
  ARROW_RETURN_NOT_OK(CheckSameSchema(*read_file_schema_, *schema, path, schema_from_));
  if (!had_footer && skips(*reader->parquet_reader()->metadata())) return std::make_unique<EmptySplit>();

  // Parquet returns the projected fields in file order; remember where each requested
  // field lands so the batch can be put back in the requested order.
  std::vector<int> sorted = fields_;
  std::sort(sorted.begin(), sorted.end());
  const auto& manifest = reader->manifest();
  const int row_group = file_split->row_group();
  std::shared_ptr<parquet::RowGroupReader> row_group_reader;
  int64_t rows = 0;
  try {
    row_group_reader = reader->parquet_reader()->RowGroup(row_group);
    rows = row_group_reader->metadata()->num_rows();
  } catch (const std::exception& e) {
    return ParquetReadError(ParquetExceptionStatus(e), path);
  }
  // Per column (file order): a FlatColumnReader where one qualifies, else its leaves go
  // to Arrow's reader. Columns read as dictionaries always take Arrow's path.
  std::vector<std::unique_ptr<FlatColumnReader>> flat;
  arrow::FieldVector file_order_fields;
  std::vector<int> leaves;
  std::vector<bool> expand;  // per column (file order)
  for (int f : sorted) {
    const auto& field = manifest.schema_fields[f];
    file_order_fields.push_back(schema->field(f));
    if (auto read_as = read_as_.find(f); read_as != read_as_.end()) file_order_fields.back() = read_as->second;
    expand.push_back(field.is_leaf() && std::count(expanded.begin(), expanded.end(), field.column_index) > 0);
    flat.push_back(field.is_leaf() ? FlatColumnReader::MakeIfEligible(*row_group_reader, field.column_index,
                                                                      file_order_fields.back()->type(), expand.back())
                                   : nullptr);
    if (flat.back() == nullptr) CollectLeaves(field, &leaves);
  }
  std::vector<int> reorder;
  for (int f : fields_) {
    reorder.push_back(static_cast<int>(std::lower_bound(sorted.begin(), sorted.end(), f) -
                                       sorted.begin()));
  }

  std::unique_ptr<arrow::RecordBatchReader> batches;
  // With no column at all Arrow's reader still yields the row counts.
  if (!leaves.empty() || sorted.empty()) {
    try {
      auto r = reader->GetRecordBatchReader({row_group}, leaves);
      if (!r.ok()) return ParquetReadError(r.status(), path);
      batches = std::move(r).ValueUnsafe();
    } catch (const std::exception& e) {
      return ParquetReadError(ParquetExceptionStatus(e), path);
    }
  }
  std::optional<ParquetRowTests> filter;
  if (filter_ != nullptr || join_test_ != nullptr) {
    filter = ParquetRowTests{filter_, filter_schema_, {}, filter_metrics_, join_test_, {}};
    for (int c : filter_columns_) filter->columns.push_back(static_cast<size_t>(reorder[static_cast<size_t>(c)]));
    if (join_test_ != nullptr) {
      for (int c : join_test_->columns) filter->join_columns.push_back(static_cast<size_t>(reorder[static_cast<size_t>(c)]));
    }
  }
  auto owned = MakeRowGroupBatches(std::move(reader), std::move(batches), std::move(row_group_reader), std::move(flat),
                                   file_order_fields, expand, rows, std::move(filter));
  auto on_error = [path](const Status& st) {
    // The filter's error as its operator gives it, with the file it read.
    if (IsRowTestError(st)) return WithContext(st.WithDetail(nullptr), path);
    return ParquetReadError(st, path);
  };
  return std::make_unique<BatchReaderSplit>(std::move(owned), schema_, std::move(reorder),
                                            path, on_error);
}

}  // namespace sabot
