// HeldRows: reference-counted held batches and the Take-based gather of held rows.
#include "sabot/ops/held_rows.h"

#include <algorithm>
#include <numeric>

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>

namespace sabot {
namespace {

Result<std::shared_ptr<arrow::RecordBatch>> TakeRows(const std::shared_ptr<arrow::RecordBatch>& batch,
                                                     const arrow::Array& indices) {
  ARROW_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(arrow::Datum(batch), arrow::Datum(indices)));
  return taken.record_batch();
}

}  // namespace

uint32_t HeldRows::Open(std::shared_ptr<arrow::RecordBatch> batch) {
  const uint32_t slot = next_slot_++;
  batches_[slot] = Held{std::move(batch), 0};
  open_slot_ = slot;
  return slot;
}

RowRef HeldRows::Add(uint32_t slot, int32_t row) {
  ++batches_.at(slot).live_rows;
  ++rows_;
  return RowRef{slot, row};
}

void HeldRows::Close(uint32_t slot) {
  open_slot_ = kNoRow.slot;
  auto it = batches_.find(slot);
  if (it != batches_.end() && it->second.live_rows == 0) batches_.erase(it);
}

Status HeldRows::Release(RowRef ref) {
  auto it = batches_.find(ref.slot);
  SABOT_CHECK(it != batches_.end() && it->second.live_rows > 0);
  if (--it->second.live_rows == 0 && ref.slot != open_slot_) batches_.erase(it);
  --rows_;
  return Status::OK();
}

Result<std::shared_ptr<arrow::RecordBatch>> HeldRows::Gather(const std::vector<RowRef>& refs) const {
  const auto n = static_cast<int64_t>(refs.size());
  // Positions of real rows, grouped by batch so each batch is read by one Take.
  std::vector<int32_t> order;
  order.reserve(refs.size());
  for (size_t i = 0; i < refs.size(); ++i) {
    if (refs[i].slot != kNoRow.slot) order.push_back(static_cast<int32_t>(i));
  }
  if (order.empty()) {
    std::vector<std::shared_ptr<arrow::Array>> nulls;
    for (const auto& field : schema_->fields()) {
      ARROW_ASSIGN_OR_RAISE(auto column, arrow::MakeArrayOfNull(field->type(), n));
      nulls.push_back(std::move(column));
    }
    return arrow::RecordBatch::Make(schema_, n, std::move(nulls));
  }
  const bool grouped = std::is_sorted(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return refs[static_cast<size_t>(a)].slot < refs[static_cast<size_t>(b)].slot;
  });
  if (!grouped) {
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
      return refs[static_cast<size_t>(a)].slot < refs[static_cast<size_t>(b)].slot;
    });
  }
  std::vector<std::shared_ptr<arrow::RecordBatch>> pieces;
  for (size_t begin = 0; begin < order.size();) {
    const uint32_t slot = refs[static_cast<size_t>(order[begin])].slot;
    std::vector<int32_t> rows;
    size_t end = begin;
    for (; end < order.size() && refs[static_cast<size_t>(order[end])].slot == slot; ++end) {
      rows.push_back(refs[static_cast<size_t>(order[end])].row);
    }
    arrow::Int32Array indices(static_cast<int64_t>(rows.size()), arrow::Buffer::Wrap(rows));
    ARROW_ASSIGN_OR_RAISE(auto piece, TakeRows(batches_.at(slot).batch, indices));
    pieces.push_back(std::move(piece));
    begin = end;
  }
  std::shared_ptr<arrow::RecordBatch> gathered;
  if (pieces.size() == 1) {
    gathered = std::move(pieces.front());
  } else {
    ARROW_ASSIGN_OR_RAISE(gathered, arrow::ConcatenateRecordBatches(pieces));
  }
  if (grouped && static_cast<int64_t>(order.size()) == n) return gathered;
  // Put the gathered rows back in the order asked for, nulls where there is no row.
  std::vector<int32_t> at(refs.size(), -1);
  for (size_t j = 0; j < order.size(); ++j) at[static_cast<size_t>(order[j])] = static_cast<int32_t>(j);
  arrow::Int32Builder builder;
  ARROW_RETURN_NOT_OK(builder.Reserve(n));
  for (int32_t position : at) {
    if (position < 0) {
      builder.UnsafeAppendNull();
    } else {
      builder.UnsafeAppend(position);
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto indices, builder.Finish());
  return TakeRows(gathered, *indices);
}

}  // namespace sabot
