// Message printing.
#include "sabot/exec/message.h"

namespace sabot {

std::string_view ToString(MessageKind kind) {
  switch (kind) {
    case MessageKind::kBatch: return "Batch";
    case MessageKind::kWatermark: return "Watermark";
    case MessageKind::kCheckpointBarrier: return "CheckpointBarrier";
    case MessageKind::kEndOfStream: return "EndOfStream";
    case MessageKind::kIdle: return "Idle";
  }
  return "?";
}

std::string Message::ToString() const {
  switch (kind_) {
    case MessageKind::kBatch:
      return "Batch(" + std::to_string(batch_ ? batch_->num_rows() : 0) + " rows)";
    case MessageKind::kWatermark:
      return value_ == kMaxWatermark ? "Watermark(+inf)" : "Watermark(" + std::to_string(value_) + ")";
    case MessageKind::kCheckpointBarrier:
      return "CheckpointBarrier(" + std::to_string(value_) + ")";
    case MessageKind::kEndOfStream:
      return "EndOfStream";
    case MessageKind::kIdle:
      return "Idle";
  }
  return "?";
}

}  // namespace sabot
