// Helpers for operators whose keyed state lives per key group: aggregate states and
// held rows counted and saved by key group, and tagged rows in snapshot sections.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <string>

#include <arrow/api.h>

#include "sabot/ops/hash_aggregate.h"
#include "sabot/state/key_group.h"

namespace sabot {

//! Adds the groups of `state` to `counts`, per key group of `range` (index: group -
//! range.begin); every group must lie in `range`.
Status CountGroupsByKeyGroup(const HashAggregateState& state, int num_key_groups, KeyGroupRange range,
                             std::vector<int64_t>* counts);

//! state.SaveGroups of the groups whose key group lies in `range`.
Result<std::shared_ptr<arrow::RecordBatch>> SaveKeyGroups(const HashAggregateState& state, int num_key_groups,
                                                          KeyGroupRange range);

//! SaveKeyGroups with one more int64 column `name`: each saved group's entry of
//! `per_group` (by group id; `missing` past its end). How an operator keeps a value per
//! group beside its aggregate state (a changelog's newest time, a trigger's row count).
Result<std::shared_ptr<arrow::RecordBatch>> SaveKeyGroupsWith(const HashAggregateState& state, int num_key_groups,
                                                              KeyGroupRange range, const std::string& name,
                                                              const std::vector<int64_t>& per_group, int64_t missing);
//! The schema SaveKeyGroupsWith writes for `state`.
Result<std::shared_ptr<arrow::Schema>> SavedWithSchema(const HashAggregateState& state, const std::string& name);
//! Loads what SaveKeyGroupsWith wrote into `state`, setting each loaded group's entry of
//! `per_group` (grown with `missing` to the state's group count).
Status LoadKeyGroupsWith(const arrow::RecordBatch& saved, HashAggregateState* state, std::vector<int64_t>* per_group,
                         int64_t missing);

//! Adds the counts of `groups` (a key group per row) to `counts` as CountGroupsByKeyGroup;
//! a group outside `range` is an error (input the exchange should not have routed here).
Status CountByKeyGroup(const std::vector<uint16_t>& groups, KeyGroupRange range, std::vector<int64_t>* counts);

//! `batch` with an int64 column `name` holding `value` prepended: how a snapshot section
//! tags rows with the window or session they belong to.
Result<std::shared_ptr<arrow::RecordBatch>> PrependInt64(const std::shared_ptr<arrow::RecordBatch>& batch,
                                                         const std::string& name, int64_t value);

//! The batches of `parts` as one (schema `schema` when there are none).
Result<std::shared_ptr<arrow::RecordBatch>> ConcatenateOrEmpty(
    const std::shared_ptr<arrow::Schema>& schema, const std::vector<std::shared_ptr<arrow::RecordBatch>>& parts);

//! Calls visit(value, rows) for each run of equal values of int64 column 0 of `batch`,
//! `rows` being that run without column 0: reads back what PrependInt64 tagged.
template <typename Visit>
Status ForEachTagged(const std::shared_ptr<arrow::RecordBatch>& batch, Visit&& visit) {
  if (batch->num_columns() == 0 || batch->column(0)->type_id() != arrow::Type::INT64 ||
      batch->column(0)->null_count() != 0) {
    return Status::Invalid("snapshot section ", batch->schema()->ToString(), ": expected an int64 tag column first");
  }
  ARROW_ASSIGN_OR_RAISE(auto rows, batch->RemoveColumn(0));
  const auto& tags = static_cast<const arrow::Int64Array&>(*batch->column(0));
  for (int64_t begin = 0, end = 0; begin < batch->num_rows(); begin = end) {
    end = begin + 1;
    while (end < batch->num_rows() && tags.Value(end) == tags.Value(begin)) ++end;
    ARROW_RETURN_NOT_OK(visit(tags.Value(begin), rows->Slice(begin, end - begin)));
  }
  return Status::OK();
}

}  // namespace sabot
