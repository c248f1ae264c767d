// Aggregate states and held rows counted and saved by key group; tagged snapshot rows.
#include "sabot/ops/key_group_state.h"

#include <arrow/api.h>

namespace sabot {

Status CountByKeyGroup(const std::vector<uint16_t>& groups, KeyGroupRange range, std::vector<int64_t>* counts) {
  counts->resize(static_cast<size_t>(range.end - range.begin), 0);
  for (uint16_t g : groups) {
    if (!range.Contains(g)) {
      return Status::Invalid("state of key group ", g, " in an instance owning key groups [", range.begin, ", ",
                             range.end, "): its input was not routed by key group");
    }
    ++(*counts)[static_cast<size_t>(g - range.begin)];
  }
  return Status::OK();
}

Status CountGroupsByKeyGroup(const HashAggregateState& state, int num_key_groups, KeyGroupRange range,
                             std::vector<int64_t>* counts) {
  ARROW_ASSIGN_OR_RAISE(auto groups, state.GroupKeyGroups(num_key_groups));
  return CountByKeyGroup(groups, range, counts);
}

Result<std::shared_ptr<arrow::RecordBatch>> SaveKeyGroups(const HashAggregateState& state, int num_key_groups,
                                                          KeyGroupRange range) {
  ARROW_ASSIGN_OR_RAISE(auto groups, state.GroupKeyGroups(num_key_groups));
  std::vector<uint8_t> keep(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) keep[g] = range.Contains(groups[g]);
  return state.SaveGroups(keep);
}

Result<std::shared_ptr<arrow::RecordBatch>> SaveKeyGroupsWith(const HashAggregateState& state, int num_key_groups,
                                                              KeyGroupRange range, const std::string& name,
                                                              const std::vector<int64_t>& per_group, int64_t missing) {
  ARROW_ASSIGN_OR_RAISE(auto groups, state.GroupKeyGroups(num_key_groups));
  std::vector<uint8_t> keep(groups.size());
  std::vector<int64_t> values;
  for (size_t g = 0; g < groups.size(); ++g) {
    keep[g] = range.Contains(groups[g]);
    if (keep[g]) values.push_back(g < per_group.size() ? per_group[g] : missing);
  }
  ARROW_ASSIGN_OR_RAISE(auto saved, state.SaveGroups(keep));
  return saved->AddColumn(saved->num_columns(), arrow::field(name, arrow::int64(), /*nullable=*/false),
                          std::make_shared<arrow::Int64Array>(saved->num_rows(),
                                                              arrow::Buffer::FromVector(std::move(values))));
}

Result<std::shared_ptr<arrow::Schema>> SavedWithSchema(const HashAggregateState& state, const std::string& name) {
  ARROW_ASSIGN_OR_RAISE(auto empty, state.SaveGroups({}));
  return empty->schema()->AddField(empty->num_columns(), arrow::field(name, arrow::int64(), /*nullable=*/false));
}

Status LoadKeyGroupsWith(const arrow::RecordBatch& saved, HashAggregateState* state, std::vector<int64_t>* per_group,
                         int64_t missing) {
  const int last = saved.num_columns() - 1;
  ARROW_ASSIGN_OR_RAISE(auto groups, saved.RemoveColumn(last));
  ARROW_ASSIGN_OR_RAISE(auto ids, state->LoadGroups(*groups));
  const auto& values = static_cast<const arrow::Int64Array&>(*saved.column(last));
  per_group->resize(static_cast<size_t>(state->num_groups()), missing);
  for (size_t i = 0; i < ids.size(); ++i) (*per_group)[ids[i]] = values.Value(static_cast<int64_t>(i));
  return Status::OK();
}

Result<std::shared_ptr<arrow::RecordBatch>> PrependInt64(const std::shared_ptr<arrow::RecordBatch>& batch,
                                                         const std::string& name, int64_t value) {
  ARROW_ASSIGN_OR_RAISE(auto tags, arrow::MakeArrayFromScalar(arrow::Int64Scalar(value), batch->num_rows()));
  return batch->AddColumn(0, arrow::field(name, arrow::int64(), /*nullable=*/false), tags);
}

Result<std::shared_ptr<arrow::RecordBatch>> ConcatenateOrEmpty(
    const std::shared_ptr<arrow::Schema>& schema, const std::vector<std::shared_ptr<arrow::RecordBatch>>& parts) {
  if (parts.empty()) return arrow::RecordBatch::MakeEmpty(schema);
  return arrow::ConcatenateRecordBatches(parts);
}

}  // namespace sabot
