// WatermarkingSplit: bounded-out-of-orderness watermarks after each batch of a split.
#include "sabot/io/watermark_split.h"

#include <algorithm>

#include <arrow/record_batch.h>

#include "sabot/exec/event_time.h"

namespace sabot {

Result<SourcePoll> WatermarkingSplit::Next() {
  if (watermark_pending_) {
    watermark_pending_ = false;
    return SourcePoll::Of(Message::Watermark(SaturatingAdd(max_ts_, -bound_)));
  }
  ARROW_ASSIGN_OR_RAISE(SourcePoll poll, inner_->Next());
  if (poll.state != SourcePoll::State::kMessage || !poll.message->is_batch()) return poll;
  const auto& batch = *poll.message->batch();
  if (batch.num_rows() == 0) return poll;
  ARROW_RETURN_NOT_OK(ReadEventTimes(*batch.column(time_column_), "event time column '" + name_ + "'", &times_));
  max_ts_ = std::max(max_ts_, *std::max_element(times_.begin(), times_.end()));
  watermark_pending_ = true;
  return poll;
}

}  // namespace sabot
