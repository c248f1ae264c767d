// KeyedProcessOperator: splitting batches by key, firing timers by watermark.
#include "sabot/ops/keyed_process.h"

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>

namespace sabot {

void KeyedProcessContext::RegisterEventTimeTimer(EventTime time) {
  if (store_->RegisterTimer(key_group_, key_, time)) op_->TimerAdded(key_, key_row_);
}

void KeyedProcessContext::DeleteEventTimeTimer(EventTime time) {
  if (store_->DeleteTimer(key_group_, key_, time)) op_->TimerRemoved(key_);
}

KeyedProcessOperator::KeyedProcessOperator(std::shared_ptr<arrow::Schema> output, std::vector<int> key_columns,
                                           std::unique_ptr<KeyedProcessFunction> function, int num_key_groups)
    : Operator(std::move(output)),
      key_columns_(std::move(key_columns)),
      function_(std::move(function)),
      store_(num_key_groups, KeyGroupRange{0, num_key_groups}) {
  context_.store_ = &store_;
  context_.op_ = this;
}

void KeyedProcessOperator::TimerAdded(const std::string& key, const std::shared_ptr<arrow::RecordBatch>& key_row) {
  TimerKey& entry = timer_keys_[key];
  if (entry.row == nullptr) entry.row = key_row;
  ++entry.timers;
}

void KeyedProcessOperator::TimerRemoved(const std::string& key) {
  auto it = timer_keys_.find(key);
  if (it != timer_keys_.end() && --it->second.timers == 0) timer_keys_.erase(it);
}

Result<Flow> KeyedProcessOperator::Push(int /*port*/, Message message) {
  switch (message.kind()) {
    case MessageKind::kBatch:
      ARROW_RETURN_NOT_OK(ProcessBatch(message.batch()));
      return EmitOutput();
    case MessageKind::kWatermark:
    case MessageKind::kEndOfStream: {
      const EventTime watermark =
          message.kind() == MessageKind::kEndOfStream ? kMaxWatermark : message.watermark();
      if (watermark > context_.watermark_) context_.watermark_ = watermark;
      ARROW_RETURN_NOT_OK(FireTimers(context_.watermark_));
      ARROW_ASSIGN_OR_RAISE(Flow flow, EmitOutput());
      if (flow == Flow::kStop) return flow;
      return Emit(std::move(message));
    }
    case MessageKind::kCheckpointBarrier:
    case MessageKind::kIdle:
      return Emit(std::move(message));
  }
  return Flow::kContinue;
}

Status KeyedProcessOperator::ProcessBatch(const std::shared_ptr<arrow::RecordBatch>& batch) {
  const int64_t n = batch->num_rows();
  if (n == 0) return Status::OK();
  ARROW_RETURN_NOT_OK(EncodeKeys(*batch, key_columns_, &keys_));
  // Row indices per key, keys in first-appearance order.
  std::unordered_map<std::string_view, size_t> slot;
  std::vector<std::vector<int32_t>> rows;
  for (int64_t i = 0; i < n; ++i) {
    auto [it, inserted] = slot.try_emplace(keys_[static_cast<size_t>(i)], rows.size());
    if (inserted) rows.emplace_back();
    rows[it->second].push_back(static_cast<int32_t>(i));
  }
  ARROW_ASSIGN_OR_RAISE(auto key_batch, batch->SelectColumns(key_columns_));
  for (auto& indices : rows) {
    std::shared_ptr<arrow::RecordBatch> key_rows;
    if (static_cast<int64_t>(indices.size()) == n) {
      key_rows = batch;
    } else {
      arrow::Int32Array take(static_cast<int64_t>(indices.size()), arrow::Buffer::Wrap(indices));
      ARROW_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(arrow::Datum(batch), arrow::Datum(take)));
      key_rows = taken.record_batch();
    }
    const int32_t first = indices.front();
    context_.key_ = keys_[static_cast<size_t>(first)];
    context_.key_group_ = KeyGroupOf(context_.key_, store_.num_key_groups());
    context_.key_row_ = key_batch->Slice(first, 1);
    ARROW_RETURN_NOT_OK(function_->ProcessRows(key_rows, context_));
  }
  return Status::OK();
}

Status KeyedProcessOperator::FireTimers(EventTime watermark) {
  while (auto timer = store_.PopDueTimer(watermark)) {
    auto it = timer_keys_.find(timer->key);
    SABOT_CHECK(it != timer_keys_.end());
    context_.key_ = std::move(timer->key);
    context_.key_group_ = timer->key_group;
    context_.key_row_ = it->second.row;
    TimerRemoved(context_.key_);
    ARROW_RETURN_NOT_OK(function_->OnTimer(timer->time, context_));
  }
  return Status::OK();
}

Result<Flow> KeyedProcessOperator::EmitOutput() {
  if (context_.out_.empty()) return Flow::kContinue;
  auto out = std::move(context_.out_);
  context_.out_.clear();
  for (const auto& rows : out) {
    if (!rows->schema()->Equals(*output_schema(), /*check_metadata=*/false)) {
      return Status::TypeError("keyed process function '", function_->name(), "' emitted ",
                               rows->schema()->ToString(), " but declared ", output_schema()->ToString());
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto all, arrow::ConcatenateRecordBatches(out));
  return Emit(Message::Batch(std::move(all)));
}

Result<std::unique_ptr<Operator>> MakeKeyedProcess(const std::shared_ptr<arrow::Schema>& input,
                                                   const std::vector<std::string>& keys,
                                                   std::unique_ptr<KeyedProcessFunction> function,
                                                   int num_key_groups) {
  if (keys.empty()) return Status::Invalid("a keyed process function needs at least one key column");
  if (num_key_groups <= 0) return Status::Invalid("key groups must be positive, got ", num_key_groups);
  std::vector<int> key_columns;
  for (const auto& key : keys) {
    const int index = input->GetFieldIndex(key);
    if (index < 0) {
      return Status::Invalid("key column '", key, "' is not among the input columns ", input->ToString());
    }
    key_columns.push_back(index);
  }
  ARROW_ASSIGN_OR_RAISE(auto output, function->OutputSchema(*input));
  return std::unique_ptr<Operator>(
      new KeyedProcessOperator(std::move(output), std::move(key_columns), std::move(function), num_key_groups));
}

}  // namespace sabot
