// Message: what flows between operators -- a RecordBatch or an in-band control event.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include <arrow/record_batch.h>

namespace sabot {

//! Event time in microseconds since the Unix epoch.
using EventTime = int64_t;
//! The watermark that closes every window; implied by EndOfStream.
inline constexpr EventTime kMaxWatermark = std::numeric_limits<EventTime>::max();

enum class MessageKind : uint8_t { kBatch, kWatermark, kCheckpointBarrier, kEndOfStream, kIdle };

std::string_view ToString(MessageKind kind);

//! A batch of rows or a control event. Cheap to copy (the batch is shared).
//! Empty batches are legal and keep their schema; control events are never dropped.
class Message {
 public:
  static Message Batch(std::shared_ptr<arrow::RecordBatch> batch) {
    return Message(MessageKind::kBatch, std::move(batch), 0);
  }
  //! All rows with event time <= `time` have arrived.
  static Message Watermark(EventTime time) { return Message(MessageKind::kWatermark, nullptr, time); }
  static Message CheckpointBarrier(int64_t checkpoint_id) {
    return Message(MessageKind::kCheckpointBarrier, nullptr, checkpoint_id);
  }
  //! The input has had no data for its idle timeout: until its next batch or watermark,
  //! operators that take the minimum watermark over several inputs leave it out, so an
  //! idle partition does not hold the others back. Rows it sends later may be late.
  static Message Idle() { return Message(MessageKind::kIdle, nullptr, 0); }
  //! The input ends; implies a final watermark of kMaxWatermark.
  static Message EndOfStream() { return Message(MessageKind::kEndOfStream, nullptr, 0); }

  MessageKind kind() const { return kind_; }
  bool is_batch() const { return kind_ == MessageKind::kBatch; }
  bool is_control() const { return kind_ != MessageKind::kBatch; }

  const std::shared_ptr<arrow::RecordBatch>& batch() const { return batch_; }
  EventTime watermark() const { return value_; }
  int64_t checkpoint_id() const { return value_; }

  std::string ToString() const;

 private:
  Message(MessageKind kind, std::shared_ptr<arrow::RecordBatch> batch, int64_t value)
      : kind_(kind), batch_(std::move(batch)), value_(value) {}

  MessageKind kind_;
  std::shared_ptr<arrow::RecordBatch> batch_;
  int64_t value_;  // watermark time or checkpoint id
};

}  // namespace sabot
