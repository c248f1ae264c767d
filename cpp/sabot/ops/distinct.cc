// Distinct: Arrow's Grouper maps rows to group ids vectorized; a row is emitted when its
// id was created by this batch and is seen for the first time.
#include "sabot/ops/distinct.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/row/grouper.h>
#include <arrow/util/bitmap_ops.h>

#include "sabot/common/type_names.h"
#include "sabot/expr/bind.h"

namespace sabot {

namespace cp = arrow::compute;

namespace {

// The grouper hashes raw bytes, but -0.0 == 0.0 and NaN payloads differ; rewrite such
// values to one representation so they group together. Returns `array` itself when no
// value needs it (the common case costs one read-only pass).
template <typename T>
Result<std::shared_ptr<arrow::Array>> CanonicalFloats(const std::shared_ptr<arrow::Array>& array) {
  const auto& data = *array->data();
  const T* values = data.GetValues<T>(1);
  const int64_t n = data.length;
  bool needed = false;
  for (int64_t i = 0; i < n; ++i) {
    const T v = values[i];
    needed |= (v != v) | (v == 0 && std::signbit(v));
  }
  if (!needed) return array;
  ARROW_ASSIGN_OR_RAISE(auto buffer, arrow::AllocateBuffer(n * static_cast<int64_t>(sizeof(T))));
  T* out = reinterpret_cast<T*>(buffer->mutable_data());
  for (int64_t i = 0; i < n; ++i) {
    const T v = values[i];
    out[i] = v != v ? std::numeric_limits<T>::quiet_NaN() : (v == 0 ? T(0) : v);
  }
  std::shared_ptr<arrow::Buffer> validity;
  if (data.MayHaveNulls()) {
    ARROW_ASSIGN_OR_RAISE(validity, arrow::internal::CopyBitmap(arrow::default_memory_pool(),
                                                               data.buffers[0]->data(), data.offset, n));
  }
  auto out_data = arrow::ArrayData::Make(data.type, n, {std::move(validity), std::move(buffer)}, data.null_count);
  return arrow::MakeArray(std::move(out_data));
}

// The batch the grouper sees: `batch` with float columns canonicalized.
Result<cp::ExecBatch> GroupingKeys(const arrow::RecordBatch& batch) {
  cp::ExecBatch keys(batch);
  for (auto& value : keys.values) {
    auto array = value.make_array();
    if (array->type_id() == arrow::Type::DOUBLE) {
      ARROW_ASSIGN_OR_RAISE(array, CanonicalFloats<double>(array));
    } else if (array->type_id() == arrow::Type::FLOAT) {
      ARROW_ASSIGN_OR_RAISE(array, CanonicalFloats<float>(array));
    } else {
      continue;
    }
    value = arrow::Datum(std::move(array));
  }
  return keys;
}

}  // namespace

DistinctState::DistinctState(std::shared_ptr<arrow::Schema> schema, std::unique_ptr<cp::Grouper> grouper)
    : schema_(std::move(schema)), grouper_(std::move(grouper)) {}
DistinctState::DistinctState(DistinctState&&) noexcept = default;
DistinctState& DistinctState::operator=(DistinctState&&) noexcept = default;
DistinctState::~DistinctState() = default;

Result<DistinctState> DistinctState::Make(std::shared_ptr<arrow::Schema> schema) {
  ARROW_RETURN_NOT_OK(EnsureComputeInitialized());
  std::vector<arrow::TypeHolder> types;
  for (const auto& field : schema->fields()) {
    // Checked one by one so the error can name the column at fault.
    if (!cp::Grouper::Make({field->type()}).ok()) {
      return Status::TypeError("cannot compute distinct over column '", field->name(), "' of type ",
                               FormatDataType(*field->type()));
    }
    types.emplace_back(field->type());
  }
  ARROW_ASSIGN_OR_RAISE(auto grouper, cp::Grouper::Make(types));
  return DistinctState(std::move(schema), std::move(grouper));
}

int64_t DistinctState::num_distinct() const { return grouper_->num_groups(); }

Result<std::shared_ptr<arrow::RecordBatch>> DistinctState::Insert(const std::shared_ptr<arrow::RecordBatch>& batch) {
  const int64_t rows = batch->num_rows();
  if (rows == 0) return nullptr;
  ARROW_ASSIGN_OR_RAISE(auto keys, GroupingKeys(*batch));
  const uint32_t first_new = grouper_->num_groups();
  ARROW_ASSIGN_OR_RAISE(auto ids_datum, grouper_->Consume(cp::ExecSpan(keys)));
  const uint32_t* ids = ids_datum.array()->GetValues<uint32_t>(1);
  const uint32_t num_new = grouper_->num_groups() - first_new;
  if (num_new == 0) return nullptr;
  // A row is a first occurrence when its id is new and not yet picked in this batch.
  std::vector<bool> picked(num_new, false);
  arrow::UInt32Builder picks;
  ARROW_RETURN_NOT_OK(picks.Reserve(num_new));
  groups_in_order_.reserve(groups_in_order_.size() + num_new);
  for (int64_t i = 0; i < rows; ++i) {
    const uint32_t id = ids[i];
    if (id >= first_new && !picked[id - first_new]) {
      picked[id - first_new] = true;
      picks.UnsafeAppend(static_cast<uint32_t>(i));
      groups_in_order_.push_back(id);
    }
  }
  if (num_new == static_cast<uint32_t>(rows)) return batch;  // every row is new
  ARROW_ASSIGN_OR_RAISE(auto indices, picks.Finish());
  ARROW_ASSIGN_OR_RAISE(auto taken, cp::Take(arrow::Datum(batch), arrow::Datum(indices)));
  return taken.record_batch();
}

Result<std::shared_ptr<arrow::RecordBatch>> DistinctState::Uniques() {
  ARROW_ASSIGN_OR_RAISE(auto uniques, grouper_->GetUniques());
  ARROW_ASSIGN_OR_RAISE(auto by_id, uniques.ToRecordBatch(schema_));
  arrow::UInt32Builder order;
  ARROW_RETURN_NOT_OK(order.AppendValues(groups_in_order_));
  ARROW_ASSIGN_OR_RAISE(auto indices, order.Finish());
  ARROW_ASSIGN_OR_RAISE(auto taken, cp::Take(arrow::Datum(by_id), arrow::Datum(indices)));
  return taken.record_batch();
}

Result<std::shared_ptr<arrow::RecordBatch>> DistinctState::Merge(DistinctState& other) {
  SABOT_CHECK(other.schema_->Equals(*schema_));
  ARROW_ASSIGN_OR_RAISE(auto rows, other.Uniques());
  return Insert(rows);
}

DistinctOperator::DistinctOperator(std::vector<int> columns, DistinctState state)
    : Operator(state.schema()), columns_(std::move(columns)), state_(std::move(state)) {}

Result<Flow> DistinctOperator::Push(int port, Message message) {
  if (message.is_control()) return Emit(std::move(message));
  ARROW_ASSIGN_OR_RAISE(auto keys, message.batch()->SelectColumns(columns_));
  if (keys->num_rows() == 0) return Emit(Message::Batch(std::move(keys)));  // empty batches keep flowing
  ARROW_ASSIGN_OR_RAISE(auto fresh, state_.Insert(keys));
  if (fresh == nullptr) return Flow::kContinue;
  return Emit(Message::Batch(std::move(fresh)));
}

Result<std::unique_ptr<Operator>> MakeDistinct(const std::shared_ptr<arrow::Schema>& input,
                                               const std::vector<std::string>& columns) {
  std::vector<int> indices;
  if (columns.empty()) {
    for (int i = 0; i < input->num_fields(); ++i) indices.push_back(i);
  }
  for (const auto& name : columns) {
    const int index = input->GetFieldIndex(name);
    if (index < 0) {
      if (input->GetFieldByName(name) == nullptr) {
        return Status::KeyError("cannot compute distinct over column '", name,
                                "': it does not exist; the columns are: ", JoinNames(input->field_names()));
      }
      return Status::Invalid("cannot compute distinct over column '", name, "': the name is ambiguous");
    }
    if (std::find(indices.begin(), indices.end(), index) != indices.end()) {
      return Status::Invalid("distinct column '", name, "' is listed more than once");
    }
    indices.push_back(index);
  }
  arrow::FieldVector fields;
  for (int index : indices) fields.push_back(input->field(index));
  auto schema = arrow::schema(std::move(fields), input->metadata());
  ARROW_ASSIGN_OR_RAISE(auto state, DistinctState::Make(std::move(schema)));
  return std::make_unique<DistinctOperator>(std::move(indices), std::move(state));
}

}  // namespace sabot
