// Partitioned file sink: rows grouped by the partition columns' values (Arrow's
// Grouper keeps the group ids stable across batches), one child file sink per group.
#include "sabot/io/partitioned_file_sink.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <arrow/array.h>
#include <arrow/compute/api.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/row/grouper.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>

#include "sabot/common/type_names.h"
#include "sabot/io/batch_sink.h"

namespace sabot {

namespace cp = arrow::compute;
namespace fs = std::filesystem;

namespace {

// Hive's name for a partition whose value is null (or empty, which has no directory name).
constexpr std::string_view kNullPartition = "__HIVE_DEFAULT_PARTITION__";

std::string_view Extension(FileFormat format) {
  switch (format) {
    case FileFormat::kCsv: return "csv";
    case FileFormat::kJsonLines: return "jsonl";
    case FileFormat::kIpcFile:
    case FileFormat::kIpcStream: return "arrow";
    case FileFormat::kParquet: return "parquet";
  }
  return "out";
}

// A value as one path component: bytes that a file system or a Hive reader would take
// for structure ('/', '=', '%', control bytes, a leading '.') are %XX-escaped.
std::string EscapePartitionValue(std::string_view value) {
  if (value.empty()) return std::string(kNullPartition);
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    const bool safe = std::isalnum(c) || c == '-' || c == '_' || c == ':' || c == ' ' || c == '+' || c >= 0x80 ||
                      (c == '.' && i > 0);
    if (safe) {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

class PartitionedFileSink final : public BatchSink {
 public:
  PartitionedFileSink(SinkSpec spec, std::shared_ptr<arrow::Schema> input_schema, SinkOutput* output)
      : BatchSink(std::move(input_schema), output), spec_(std::move(spec)) {}

  ~PartitionedFileSink() override {
    // An uncommitted sink must not leave a stray temporary; errors have nowhere to go.
    (void)RemoveTemporary();
  }

  std::string_view name() const override { return "PartitionedFileSink"; }

  Status Open() {
    const auto& schema = *input_schema();
    std::vector<arrow::TypeHolder> key_types;
    for (const auto& name : spec_.partition_by) {
      const int i = schema.GetFieldIndex(name);
      if (i < 0) {
        return Context(Status::KeyError("partition column '", name, "' does not exist; the columns are: ",
                                        JoinNames(FieldNames(schema))));
      }
      key_columns_.push_back(i);
      key_types.emplace_back(schema.field(i)->type());
    }
    std::vector<std::shared_ptr<arrow::Field>> file_fields;
    for (int i = 0; i < schema.num_fields(); ++i) {
      if (std::find(key_columns_.begin(), key_columns_.end(), i) == key_columns_.end()) {
        file_columns_.push_back(i);
        file_fields.push_back(schema.field(i));
      }
    }
    if (file_fields.empty()) {
      return Context(Status::Invalid("every column is a partition column, so the files would have none"));
    }
    file_schema_ = arrow::schema(std::move(file_fields));
    ARROW_ASSIGN_OR_RAISE(grouper_, cp::Grouper::Make(key_types));

    const fs::path target(spec_.path);
    std::error_code ec;
    const fs::path parent = target.parent_path();
    if (!parent.empty() && !fs::is_directory(parent, ec)) {
      return Context(Status::IOError("directory '", parent.string(), "' does not exist"));
    }
    if (fs::exists(target, ec) && !fs::is_directory(target, ec)) {
      return Context(Status::IOError("it exists and is not a directory"));
    }
    // The pid keeps two processes writing the same path from sharing a temporary.
    temp_dir_ = target;
    temp_dir_ += ".sabot-tmp-" + std::to_string(::getpid());
    fs::remove_all(temp_dir_, ec);
    if (!fs::create_directory(temp_dir_, ec)) {
      return Context(Status::IOError("cannot create '", temp_dir_.string(), "': ", ec.message()));
    }
    temp_exists_ = true;
    return Status::OK();
  }

 private:
  Status Consume(const std::shared_ptr<arrow::RecordBatch>& batch) override {
    if (batch->num_rows() == 0) return Status::OK();
    std::vector<arrow::Datum> keys;
    for (int i : key_columns_) keys.emplace_back(batch->column(i));
    const cp::ExecBatch key_batch(std::move(keys), batch->num_rows());
    ARROW_ASSIGN_OR_RAISE(auto id_datum, grouper_->Consume(cp::ExecSpan(key_batch)));
    const auto ids = std::static_pointer_cast<arrow::UInt32Array>(id_datum.make_array());
    if (grouper_->num_groups() > children_.size()) ARROW_RETURN_NOT_OK(OpenNewPartitions());

    std::vector<std::shared_ptr<arrow::Array>> columns;
    for (int i : file_columns_) columns.push_back(batch->column(i));
    auto file_batch = arrow::RecordBatch::Make(file_schema_, batch->num_rows(), std::move(columns));

    // A batch usually falls in one partition (time-ordered rows, coarse buckets): no copy then.
    const uint32_t* id = ids->raw_values();
    bool one_group = true;
    for (int64_t i = 1; i < ids->length() && one_group; ++i) one_group = id[i] == id[0];
    if (one_group) return Write(id[0], std::move(file_batch));

    ARROW_ASSIGN_OR_RAISE(auto groupings, cp::Grouper::MakeGroupings(*ids, grouper_->num_groups()));
    for (uint32_t g = 0; g < grouper_->num_groups(); ++g) {
      if (groupings->value_length(g) == 0) continue;
      ARROW_ASSIGN_OR_RAISE(auto rows, cp::Take(file_batch, groupings->value_slice(g)));
      ARROW_RETURN_NOT_OK(Write(g, rows.record_batch()));
    }
    return Status::OK();
  }

  Status Write(uint32_t group, std::shared_ptr<arrow::RecordBatch> rows) {
    auto flow = children_[group]->Push(0, Message::Batch(std::move(rows)));
    return flow.status();
  }

  //! A child file sink (its directories made) for each group the grouper found since.
  Status OpenNewPartitions() {
    ARROW_ASSIGN_OR_RAISE(auto uniques, grouper_->GetUniques());
    std::vector<std::shared_ptr<arrow::Array>> names;
    for (size_t k = 0; k < key_columns_.size(); ++k) {
      ARROW_ASSIGN_OR_RAISE(auto as_text, cp::Cast(uniques.values[k], arrow::utf8()));
      names.push_back(as_text.make_array());
    }
    for (uint32_t g = static_cast<uint32_t>(children_.size()); g < grouper_->num_groups(); ++g) {
      fs::path dir = temp_dir_;
      for (size_t k = 0; k < key_columns_.size(); ++k) {
        const auto& text = static_cast<const arrow::StringArray&>(*names[k]);
        const std::string value = text.IsNull(g) ? std::string(kNullPartition) : EscapePartitionValue(text.GetView(g));
        dir /= spec_.partition_by[k] + "=" + value;
      }
      std::error_code ec;
      fs::create_directories(dir, ec);
      if (ec) return Context(Status::IOError("cannot create '", dir.string(), "': ", ec.message()));
      SinkSpec file;
      file.kind = SinkSpec::Kind::kFile;
      file.format = spec_.format;
      file.path = (dir / ("part-0." + std::string(Extension(spec_.format)))).string();
      ARROW_ASSIGN_OR_RAISE(auto child, MakeSink(file, file_schema_, &child_output_));
      children_.push_back(std::move(child));
    }
    return Status::OK();
  }

  Status Commit() override {
    for (auto& child : children_) ARROW_RETURN_NOT_OK(child->Push(0, Message::EndOfStream()).status());
    const fs::path target(spec_.path);
    std::error_code ec;
    // rename(2) cannot replace a non-empty directory: the old one moves aside first and
    // is removed once the new one is in place, so `dir` is never a mix of both.
    fs::path old;
    if (fs::exists(target, ec)) {
      old = target;
      old += ".sabot-old-" + std::to_string(::getpid());
      fs::remove_all(old, ec);
      fs::rename(target, old, ec);
      if (ec) return Context(Status::IOError("moving the old '", target.string(), "' aside failed: ", ec.message()));
    }
    fs::rename(temp_dir_, target, ec);
    if (ec) {
      if (!old.empty()) fs::rename(old, target, ec);
      return Context(Status::IOError("renaming '", temp_dir_.string(), "' failed: ", ec.message()));
    }
    temp_exists_ = false;
    if (!old.empty()) fs::remove_all(old, ec);
    return Status::OK();
  }

  Status Discard() override { return RemoveTemporary(); }

  Status RemoveTemporary() {
    for (auto& child : children_) (void)child->Abort();  // closes their files before the removal
    children_.clear();
    if (!temp_exists_) return Status::OK();
    temp_exists_ = false;
    std::error_code ec;
    fs::remove_all(temp_dir_, ec);
    if (ec) return Context(Status::IOError("removing '", temp_dir_.string(), "' failed: ", ec.message()));
    return Status::OK();
  }

  Status Context(const Status& st) const {
    if (st.ok()) return st;
    return st.WithMessage("cannot write ", spec_.path, ": ", st.message());
  }

  SinkSpec spec_;
  std::vector<int> key_columns_;
  std::vector<int> file_columns_;
  std::shared_ptr<arrow::Schema> file_schema_;
  std::unique_ptr<cp::Grouper> grouper_;
  std::vector<std::unique_ptr<Sink>> children_;  // by group id
  SinkOutput child_output_;                      // the rows count once, in this sink's output
  fs::path temp_dir_;
  bool temp_exists_ = false;
};

}  // namespace

Result<std::unique_ptr<Sink>> MakePartitionedFileSink(const SinkSpec& spec,
                                                      std::shared_ptr<arrow::Schema> input_schema,
                                                      SinkOutput* output) {
  if (spec.path.empty()) return Status::Invalid("a partitioned file sink needs a directory path");
  auto sink = std::make_unique<PartitionedFileSink>(spec, std::move(input_schema), output);
  ARROW_RETURN_NOT_OK(sink->Open());
  return sink;
}

}  // namespace sabot
