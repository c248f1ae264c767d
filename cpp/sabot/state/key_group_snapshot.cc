// Key group snapshots: ownership of a range of groups, and the snapshot byte format.
#include "sabot/state/key_group_snapshot.h"

#include <cstring>

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>
#include <arrow/io/memory.h>
#include <arrow/ipc/reader.h>
#include <arrow/ipc/writer.h>

namespace sabot {

namespace {

std::shared_ptr<arrow::Schema> HeaderSchema() {
  return arrow::schema({arrow::field("op", arrow::utf8()), arrow::field("num_key_groups", arrow::int32()),
                        arrow::field("begin", arrow::int32()), arrow::field("end", arrow::int32()),
                        arrow::field("watermark", arrow::int64())});
}

Result<std::shared_ptr<arrow::RecordBatch>> HeaderBatch(const KeyGroupSnapshotContents& contents) {
  arrow::StringBuilder op;
  ARROW_RETURN_NOT_OK(op.Append(contents.op));
  ARROW_ASSIGN_OR_RAISE(auto op_array, op.Finish());
  auto int32 = [](int v) { return arrow::MakeArrayFromScalar(arrow::Int32Scalar(v), 1); };
  ARROW_ASSIGN_OR_RAISE(auto groups, int32(contents.num_key_groups));
  ARROW_ASSIGN_OR_RAISE(auto begin, int32(contents.groups.begin));
  ARROW_ASSIGN_OR_RAISE(auto end, int32(contents.groups.end));
  ARROW_ASSIGN_OR_RAISE(auto watermark, arrow::MakeArrayFromScalar(arrow::Int64Scalar(contents.watermark), 1));
  return arrow::RecordBatch::Make(HeaderSchema(), 1, {op_array, groups, begin, end, watermark});
}

}  // namespace

Status KeyGroupSnapshots::OwnKeyGroups(KeyGroupRange range, int num_key_groups) {
  if (num_key_groups < 1 || num_key_groups > 65536) {
    return Status::Invalid("key group count must be in [1, 65536], got ", num_key_groups);
  }
  if (range.begin < 0 || range.begin > range.end || range.end > num_key_groups) {
    return Status::Invalid("key group range [", range.begin, ", ", range.end, ") does not lie in [0, ",
                           num_key_groups, ")");
  }
  range_ = range;
  num_key_groups_ = num_key_groups;
  return Status::OK();
}

Result<std::shared_ptr<arrow::Buffer>> EncodeKeyGroupSnapshot(const KeyGroupSnapshotContents& contents) {
  ARROW_ASSIGN_OR_RAISE(auto header, HeaderBatch(contents));
  ARROW_ASSIGN_OR_RAISE(auto out, arrow::io::BufferOutputStream::Create());
  std::vector<std::shared_ptr<arrow::RecordBatch>> sections = {header};
  sections.insert(sections.end(), contents.sections.begin(), contents.sections.end());
  for (const auto& section : sections) {
    ARROW_ASSIGN_OR_RAISE(auto sink, arrow::io::BufferOutputStream::Create());
    ARROW_ASSIGN_OR_RAISE(auto writer, arrow::ipc::MakeStreamWriter(sink, section->schema()));
    ARROW_RETURN_NOT_OK(writer->WriteRecordBatch(*section));
    ARROW_RETURN_NOT_OK(writer->Close());
    ARROW_ASSIGN_OR_RAISE(auto bytes, sink->Finish());
    const int64_t size = bytes->size();
    ARROW_RETURN_NOT_OK(out->Write(&size, sizeof size));
    ARROW_RETURN_NOT_OK(out->Write(bytes->data(), size));
  }
  return out->Finish();
}

Result<KeyGroupSnapshotContents> DecodeKeyGroupSnapshot(
    const arrow::Buffer& bytes, const std::string& op, const KeyGroupSnapshots& owner,
    const std::vector<std::shared_ptr<arrow::Schema>>& schemas) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> sections;
  int64_t offset = 0;
  while (offset < bytes.size()) {
    int64_t size = 0;
    if (bytes.size() - offset < static_cast<int64_t>(sizeof size)) {
      return Status::Invalid(op, " snapshot: truncated at byte ", offset, " of ", bytes.size());
    }
    std::memcpy(&size, bytes.data() + offset, sizeof size);
    offset += sizeof size;
    if (size < 0 || size > bytes.size() - offset) {
      return Status::Invalid(op, " snapshot: section ", sections.size(), " of ", size,
                             " bytes passes the end of the snapshot (", bytes.size(), " bytes)");
    }
    // A copy: restored state (held rows) outlives the caller's snapshot bytes, and reading
    // zero-copy from a view into them gave corrupt string keys.
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> section, arrow::AllocateBuffer(size));
    std::memcpy(section->mutable_data(), bytes.data() + offset, static_cast<size_t>(size));
    auto input = std::make_shared<arrow::io::BufferReader>(std::move(section));
    offset += size;
    ARROW_ASSIGN_OR_RAISE(auto reader, arrow::ipc::RecordBatchStreamReader::Open(input));
    ARROW_ASSIGN_OR_RAISE(auto table, arrow::Table::FromRecordBatchReader(reader.get()));
    ARROW_ASSIGN_OR_RAISE(auto batch, table->CombineChunksToBatch());
    sections.push_back(std::move(batch));
  }
  if (sections.empty() || !sections[0]->schema()->Equals(*HeaderSchema()) || sections[0]->num_rows() != 1) {
    return Status::Invalid(op, " snapshot: no key group snapshot header (not a snapshot?)");
  }
  const auto& header = *sections[0];
  KeyGroupSnapshotContents contents;
  contents.op = static_cast<const arrow::StringArray&>(*header.column(0)).GetString(0);
  contents.num_key_groups = static_cast<const arrow::Int32Array&>(*header.column(1)).Value(0);
  contents.groups.begin = static_cast<const arrow::Int32Array&>(*header.column(2)).Value(0);
  contents.groups.end = static_cast<const arrow::Int32Array&>(*header.column(3)).Value(0);
  contents.watermark = static_cast<const arrow::Int64Array&>(*header.column(4)).Value(0);
  if (contents.op != op) {
    return Status::Invalid(op, " cannot restore a snapshot of ", contents.op);
  }
  if (contents.num_key_groups != owner.num_key_groups()) {
    return Status::Invalid(op, " snapshot: taken with ", contents.num_key_groups,
                           " key groups, this instance has ", owner.num_key_groups());
  }
  const KeyGroupRange& own = owner.key_group_range();
  if (contents.groups.begin < own.begin || contents.groups.end > own.end) {
    return Status::Invalid(op, " snapshot: holds key groups [", contents.groups.begin, ", ", contents.groups.end,
                           "), this instance owns only [", own.begin, ", ", own.end, ")");
  }
  sections.erase(sections.begin());
  if (sections.size() != schemas.size()) {
    return Status::Invalid(op, " snapshot: ", sections.size(), " sections, expected ", schemas.size());
  }
  for (size_t i = 0; i < sections.size(); ++i) {
    if (schemas[i] != nullptr && !sections[i]->schema()->Equals(*schemas[i], /*check_metadata=*/false)) {
      return Status::TypeError(op, " snapshot: section ", i, " has schema ", sections[i]->schema()->ToString(),
                               ", this instance expects ", schemas[i]->ToString());
    }
  }
  contents.sections = std::move(sections);
  return contents;
}

Result<std::vector<uint16_t>> RowKeyGroups(const arrow::RecordBatch& batch, const std::vector<int>& key_columns,
                                           int num_key_groups) {
  std::vector<uint16_t> groups;
  ARROW_RETURN_NOT_OK(KeyGroupsOf(batch, key_columns, num_key_groups, &groups));
  return groups;
}

Result<std::shared_ptr<arrow::RecordBatch>> RowsInKeyGroups(const std::shared_ptr<arrow::RecordBatch>& batch,
                                                            const std::vector<uint16_t>& groups,
                                                            KeyGroupRange range) {
  std::vector<int32_t> rows;
  for (size_t i = 0; i < groups.size(); ++i) {
    if (range.Contains(groups[i])) rows.push_back(static_cast<int32_t>(i));
  }
  if (rows.empty()) return nullptr;
  if (static_cast<int64_t>(rows.size()) == batch->num_rows()) return batch;
  arrow::Int32Array indices(static_cast<int64_t>(rows.size()), arrow::Buffer::Wrap(rows));
  ARROW_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(arrow::Datum(batch), arrow::Datum(indices)));
  return taken.record_batch();
}

}  // namespace sabot
