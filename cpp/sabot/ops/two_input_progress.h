// TwoInputProgress: how far the two inputs of an event-time join have come -- their
// watermarks, which ended, which barriers are due -- and the output watermark from it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>

#include "sabot/common/errors.h"
#include "sabot/exec/message.h"

namespace sabot {

//! Input 0 is left, 1 right. An input's EndOfStream is its watermark +infinity.
class TwoInputProgress {
 public:
  EventTime watermark(int port) const { return watermark_[port]; }
  bool ended(int port) const { return ended_[port]; }
  bool both_ended() const { return ended_[0] && ended_[1]; }

  //! Records a Watermark or EndOfStream of input `port`: false when it moves nothing on
  //! (a watermark not above that input's last one).
  Result<bool> Record(int port, const Message& message) {
    if (message.kind() == MessageKind::kEndOfStream) {
      SABOT_CHECK(!ended_[port]);  // one EndOfStream per input
      ended_[port] = true;
      watermark_[port] = kMaxWatermark;
      return true;
    }
    idle_[port] = false;
    if (message.watermark() <= watermark_[port]) return false;
    watermark_[port] = message.watermark();
    return true;
  }

  //! Input `port` sent Idle: until its next batch or watermark (see Active) the output
  //! watermark follows the other input alone. Its held rows stay as long as its own
  //! watermark says they can match.
  void Idle(int port) { idle_[port] = true; }
  //! Restoring state: input `port`'s watermark is at least `watermark` (a snapshot's), and
  //! the output watermark that implies went out before the snapshot.
  void Restore(int port, EventTime watermark) {
    watermark_[port] = std::max(watermark_[port], watermark);
    emitted_ = std::max(emitted_, std::min(watermark_[0], watermark_[1]));
  }
  //! Input `port` sent a batch: it holds the output watermark back again.
  void Active(int port) { idle_[port] = false; }

  //! What to send on once a recorded message was acted on: EndOfStream when both inputs
  //! ended, else the output watermark if it moved (see OutputWatermark), else nothing.
  std::optional<Message> Forward() {
    if (both_ended()) return Message::EndOfStream();
    auto watermark = OutputWatermark();
    if (!watermark) return std::nullopt;
    return Message::Watermark(*watermark);
  }

  //! Counts an arrival of barrier `id`: true once every open input delivered it (the
  //! barrier then leaves; unaligned, as in the hash join).
  bool BarrierDue(int64_t id) {
    const int open_inputs = static_cast<int>(!ended_[0]) + static_cast<int>(!ended_[1]);
    int& arrivals = barrier_arrivals_[id];
    if (++arrivals < open_inputs) return false;
    barrier_arrivals_.erase(id);
    return true;
  }

 private:
  //! The minimum of the active inputs' watermarks when it passed the one returned before,
  //! else none. +infinity (both ended) is none too: the EndOfStream that follows implies it.
  std::optional<EventTime> OutputWatermark() {
    if (idle_[0] && idle_[1]) return std::nullopt;
    const EventTime low = idle_[0]   ? watermark_[1]
                          : idle_[1] ? watermark_[0]
                                     : std::min(watermark_[0], watermark_[1]);
    if (low <= emitted_ || low == kMaxWatermark) return std::nullopt;
    emitted_ = low;
    return low;
  }

  EventTime watermark_[2] = {std::numeric_limits<EventTime>::min(), std::numeric_limits<EventTime>::min()};
  bool ended_[2] = {false, false};
  bool idle_[2] = {false, false};
  EventTime emitted_ = std::numeric_limits<EventTime>::min();
  std::map<int64_t, int> barrier_arrivals_;
};

}  // namespace sabot
