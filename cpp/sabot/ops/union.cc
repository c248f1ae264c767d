// Union's control-event merging.
#include "sabot/ops/union.h"

#include <algorithm>
#include <limits>

#include <arrow/type.h>

#include "sabot/common/errors.h"
#include "sabot/common/type_names.h"

namespace sabot {

UnionOperator::UnionOperator(std::shared_ptr<arrow::Schema> schema, int num_inputs)
    : Operator(std::move(schema)),
      watermarks_(num_inputs, std::numeric_limits<EventTime>::min()),
      idle_(num_inputs, 0),
      emitted_watermark_(std::numeric_limits<EventTime>::min()),
      open_inputs_(num_inputs) {}

Result<Flow> UnionOperator::Forward(Message message) {
  ARROW_ASSIGN_OR_RAISE(auto flow, Emit(std::move(message)));
  if (flow == Flow::kStop) stopped_ = true;
  return flow;
}

Result<Flow> UnionOperator::AdvanceWatermark() {
  // Idle inputs do not hold the others back; when all open inputs are idle the union
  // is idle itself, and its watermark stays where it was.
  EventTime low = kMaxWatermark;
  bool all_idle = true;
  for (size_t i = 0; i < watermarks_.size(); ++i) {
    if (idle_[i] && watermarks_[i] != kMaxWatermark) continue;
    if (watermarks_[i] != kMaxWatermark) all_idle = false;
    low = std::min(low, watermarks_[i]);
  }
  if (all_idle && open_inputs_ > 0) {
    if (idle_forwarded_) return Flow::kContinue;
    idle_forwarded_ = true;
    return Forward(Message::Idle());
  }
  // kMaxWatermark (all inputs ended) is implied by the EndOfStream that follows.
  if (low > emitted_watermark_ && low != kMaxWatermark) {
    emitted_watermark_ = low;
    return Forward(Message::Watermark(low));
  }
  return Flow::kContinue;
}

Result<Flow> UnionOperator::Push(int port, Message message) {
  SABOT_CHECK(port >= 0 && port < num_inputs());
  if (stopped_) return Flow::kStop;
  if (message.kind() == MessageKind::kBatch || message.kind() == MessageKind::kWatermark) {
    idle_[port] = 0;  // active again
    idle_forwarded_ = false;
  }
  switch (message.kind()) {
    case MessageKind::kBatch:
      return Forward(std::move(message));
    case MessageKind::kWatermark:
      watermarks_[port] = std::max(watermarks_[port], message.watermark());
      return AdvanceWatermark();
    case MessageKind::kIdle:
      idle_[port] = 1;
      return AdvanceWatermark();
    case MessageKind::kCheckpointBarrier: {
      // Forwarded once every input delivered it. Aligning (holding back the inputs that
      // already delivered it) comes with checkpointing; until then it is unaligned.
      int& arrivals = barrier_arrivals_[message.checkpoint_id()];
      if (++arrivals < open_inputs_) return Flow::kContinue;
      barrier_arrivals_.erase(message.checkpoint_id());
      return Forward(std::move(message));
    }
    case MessageKind::kEndOfStream: {
      SABOT_CHECK(watermarks_[port] != kMaxWatermark);  // one EndOfStream per input
      watermarks_[port] = kMaxWatermark;
      if (--open_inputs_ > 0) return AdvanceWatermark();
      return Forward(std::move(message));
    }
  }
  return Flow::kContinue;
}

Status CheckUnionSchemas(const std::vector<std::shared_ptr<arrow::Schema>>& inputs) {
  const auto& first = *inputs.front();
  for (size_t i = 1; i < inputs.size(); ++i) {
    const auto& other = *inputs[i];
    if (other.num_fields() != first.num_fields()) {
      return Status::Invalid("union input ", i, " has ", other.num_fields(), " columns (", JoinNames(other.field_names()),
                             "), input 0 has ", first.num_fields(), " (", JoinNames(first.field_names()), ")");
    }
    for (int c = 0; c < first.num_fields(); ++c) {
      const auto& a = *first.field(c);
      const auto& b = *other.field(c);
      if (a.name() != b.name() || !a.type()->Equals(*b.type())) {
        return Status::TypeError("union input ", i, " column ", c, " is ", b.name(), ": ",
                                 FormatDataType(*b.type()), ", input 0 has ", a.name(), ": ",
                                 FormatDataType(*a.type()));
      }
    }
  }
  return Status::OK();
}

}  // namespace sabot
