// KeyedProcessOperator: splitting batches by key, firing timers by watermark and by
// the wall clock, expiring state by TTL.
#include "sabot/ops/keyed_process.h"

#include <chrono>

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>

namespace sabot {

int64_t KeyedProcessContext::processing_time() const { return op_->Now(); }

void KeyedProcessContext::RegisterEventTimeTimer(EventTime time) {
  if (store_->RegisterTimer(key_group_, key_, time)) op_->TimerAdded(key_, key_row_);
}

void KeyedProcessContext::DeleteEventTimeTimer(EventTime time) {
  if (store_->DeleteTimer(key_group_, key_, time)) op_->TimerRemoved(key_);
}

void KeyedProcessContext::RegisterProcessingTimeTimer(int64_t time) {
  if (store_->RegisterTimer(key_group_, key_, time, TimeDomain::kProcessingTime)) op_->TimerAdded(key_, key_row_);
}

void KeyedProcessContext::DeleteProcessingTimeTimer(int64_t time) {
  if (store_->DeleteTimer(key_group_, key_, time, TimeDomain::kProcessingTime)) op_->TimerRemoved(key_);
}

KeyedProcessOperator::KeyedProcessOperator(std::shared_ptr<arrow::Schema> output, std::vector<int> key_columns,
                                           std::unique_ptr<KeyedProcessFunction> function,
                                           KeyedProcessOptions options)
    : Operator(std::move(output)),
      key_columns_(std::move(key_columns)),
      function_(std::move(function)),
      options_(std::move(options)),
      store_(options_.num_key_groups, KeyGroupRange{0, options_.num_key_groups}) {
  context_.store_ = &store_;
  context_.op_ = this;
}

int64_t KeyedProcessOperator::SystemMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void KeyedProcessOperator::TimerAdded(const std::string& key, const std::shared_ptr<arrow::RecordBatch>& key_row) {
  TimerKey& entry = timer_keys_[key];
  if (entry.row == nullptr) entry.row = key_row;
  ++entry.timers;
}

void KeyedProcessOperator::TimerRemoved(const std::string& key, int timers) {
  auto it = timer_keys_.find(key);
  if (it == timer_keys_.end()) return;
  it->second.timers -= timers;
  if (it->second.timers <= 0) timer_keys_.erase(it);
}

Result<Flow> KeyedProcessOperator::Push(int /*port*/, Message message) {
  // No thread of our own: every message is the chance to fire processing-time timers
  // the clock has passed, before the message itself (they came due before it arrived).
  if (store_.num_timers(TimeDomain::kProcessingTime) > 0) ARROW_RETURN_NOT_OK(FireProcessingTimers(Now()));
  switch (message.kind()) {
    case MessageKind::kBatch:
      ARROW_RETURN_NOT_OK(ProcessBatch(message.batch()));
      return EmitOutput();
    case MessageKind::kWatermark:
    case MessageKind::kEndOfStream: {
      const bool end_of_input = message.kind() == MessageKind::kEndOfStream;
      ARROW_RETURN_NOT_OK(AdvanceWatermark(end_of_input ? kMaxWatermark : message.watermark(), end_of_input));
      ARROW_ASSIGN_OR_RAISE(Flow flow, EmitOutput());
      if (flow == Flow::kStop) return flow;
      return Emit(std::move(message));
    }
    case MessageKind::kCheckpointBarrier:
    case MessageKind::kIdle: {
      ARROW_ASSIGN_OR_RAISE(Flow flow, EmitOutput());
      if (flow == Flow::kStop) return flow;
      return Emit(std::move(message));
    }
  }
  return Flow::kContinue;
}

Status KeyedProcessOperator::AdvanceWatermark(EventTime watermark, bool end_of_input) {
  if (watermark > context_.watermark_) context_.watermark_ = watermark;
  if (!end_of_input) {
    if (!first_watermark_) first_watermark_ = context_.watermark_;
    store_.AdvanceWriteTime(context_.watermark_);
  }
  ARROW_RETURN_NOT_OK(FireEventTimers(context_.watermark_, end_of_input));
  if (end_of_input) {
    // The end fires every timer left, whatever the clock says.
    return FireProcessingTimers(std::numeric_limits<int64_t>::max());
  }
  Expire(context_.watermark_);
  return Status::OK();
}

void KeyedProcessOperator::Expire(EventTime watermark) {
  const int64_t ttl = options_.state_ttl_us;
  if (ttl == 0 || !first_watermark_ || watermark < std::numeric_limits<int64_t>::min() + ttl) return;
  const int64_t cutoff = watermark - ttl;
  // Stamps before the first watermark are the smallest time but stand for the first
  // watermark, so no cutoff at or below it may take them.
  if (cutoff <= *first_watermark_) return;
  for (auto& expired : store_.ExpireWrittenBefore(cutoff)) {
    if (expired.timers > 0) TimerRemoved(expired.key, expired.timers);
    ++expired_keys_;
    if (metrics() != nullptr) metrics()->expired_keys.fetch_add(1, std::memory_order_relaxed);
  }
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

Status KeyedProcessOperator::FireEventTimers(EventTime watermark, bool end_of_input) {
  while (auto next = store_.NextTimerTime(TimeDomain::kEventTime)) {
    if (*next > watermark) break;
    // Keys whose TTL ran out before this timer's time are gone before it fires (with
    // their timers, maybe this one); past the real end of data there is no such time.
    if (!end_of_input || *next != kMaxWatermark) Expire(*next);
    auto timer = store_.PopDueTimer(watermark, TimeDomain::kEventTime);
    if (!timer) break;
    ARROW_RETURN_NOT_OK(FireTimer(std::move(*timer), TimeDomain::kEventTime));
  }
  return Status::OK();
}

Status KeyedProcessOperator::FireProcessingTimers(int64_t now) {
  while (auto timer = store_.PopDueTimer(now, TimeDomain::kProcessingTime)) {
    ARROW_RETURN_NOT_OK(FireTimer(std::move(*timer), TimeDomain::kProcessingTime));
  }
  return Status::OK();
}

Status KeyedProcessOperator::FireTimer(KeyedStateStore::Timer timer, TimeDomain domain) {
  auto it = timer_keys_.find(timer.key);
  SABOT_CHECK(it != timer_keys_.end());
  context_.key_ = std::move(timer.key);
  context_.key_group_ = timer.key_group;
  context_.key_row_ = it->second.row;
  context_.time_domain_ = domain;
  TimerRemoved(context_.key_);
  Status status = function_->OnTimer(timer.time, context_);
  context_.time_domain_ = TimeDomain::kEventTime;
  return status;
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
                                                   KeyedProcessOptions options) {
  if (keys.empty()) return Status::Invalid("a keyed process function needs at least one key column");
  if (options.num_key_groups <= 0) {
    return Status::Invalid("key groups must be positive, got ", options.num_key_groups);
  }
  if (options.state_ttl_us < 0) {
    return Status::Invalid("keyed process function '", function->name(), "': state TTL must not be negative, got ",
                           options.state_ttl_us, " us");
  }
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
      new KeyedProcessOperator(std::move(output), std::move(key_columns), std::move(function), std::move(options)));
}

}  // namespace sabot
