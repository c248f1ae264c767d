// EventTimeJoinKeys: one Arrow Grouper over the key columns of both join inputs.
#include "sabot/ops/event_time_join_keys.h"

#include <arrow/api.h>
#include <arrow/compute/row/grouper.h>

#include "sabot/common/type_names.h"
#include "sabot/ops/join_layout.h"

namespace sabot {

EventTimeJoinKeys::~EventTimeJoinKeys() = default;
EventTimeJoinKeys::EventTimeJoinKeys(EventTimeJoinKeys&&) noexcept = default;
EventTimeJoinKeys& EventTimeJoinKeys::operator=(EventTimeJoinKeys&&) noexcept = default;

Result<EventTimeJoinKeys> EventTimeJoinKeys::Make(const std::shared_ptr<arrow::Schema>& left,
                                                  const std::shared_ptr<arrow::Schema>& right, const JoinSpec& spec,
                                                  const std::string& what) {
  ARROW_ASSIGN_OR_RAISE(JoinLayout layout, ResolveJoin(left, right, spec));
  std::vector<arrow::TypeHolder> key_types;
  for (size_t i = 0; i < layout.left_key_indices.size(); ++i) {
    const auto& l = *left->field(layout.left_key_indices[i]);
    const auto& r = *right->field(layout.right_key_indices[i]);
    if (!l.type()->Equals(*r.type())) {
      return Status::TypeError(what, " key ", i, ": left ", l.name(), " is ", FormatDataType(*l.type()), ", right ",
                               r.name(), " is ", FormatDataType(*r.type()),
                               "; cast one side so both have the same type");
    }
    key_types.emplace_back(l.type());
  }
  EventTimeJoinKeys keys;
  ARROW_ASSIGN_OR_RAISE(keys.grouper_, arrow::compute::Grouper::Make(key_types));
  keys.key_columns_[0] = layout.left_key_indices;
  keys.key_columns_[1] = layout.right_key_indices;
  keys.output_schema_ = layout.output_schema;
  return keys;
}

Status EventTimeJoinKeys::Ids(int port, const arrow::RecordBatch& batch, std::vector<uint32_t>* ids,
                              std::vector<uint8_t>* valid) {
  const int64_t n = batch.num_rows();
  std::vector<arrow::compute::ExecValue> keys;
  for (int k : key_columns_[port]) keys.emplace_back(*batch.column_data(k));
  ARROW_ASSIGN_OR_RAISE(arrow::Datum ids_datum, grouper_->Consume(arrow::compute::ExecSpan(std::move(keys), n)));
  const uint32_t* raw = ids_datum.array()->GetValues<uint32_t>(1);
  ids->assign(raw, raw + n);
  valid->assign(static_cast<size_t>(n), 1);
  for (int k : key_columns_[port]) {
    const auto& column = *batch.column(k);
    if (column.null_count() == 0) continue;
    for (int64_t i = 0; i < n; ++i) (*valid)[static_cast<size_t>(i)] &= column.IsValid(i);
  }
  return Status::OK();
}

uint32_t EventTimeJoinKeys::num_keys() const { return grouper_->num_groups(); }

}  // namespace sabot
