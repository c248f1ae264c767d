// MergedWatermark: the watermark of several inputs of one stream (an exchange's
// producers or owners) as one, idle inputs left out.
#pragma once

#include <algorithm>
#include <limits>
#include <optional>
#include <vector>

#include "sabot/exec/message.h"

namespace sabot {

//! The minimum watermark over the inputs, leaving out idle ones (Message::Idle, until
//! their next batch or watermark) and ended ones; idle itself when every open input is
//! idle. The way the union operator merges its inputs, for a fixed number of inputs.
class MergedWatermark {
 public:
  explicit MergedWatermark(size_t inputs) : watermarks_(inputs, kNone), idle_(inputs, false) {}

  //! Records a Watermark, Idle or EndOfStream of `input`; other messages change nothing.
  void Record(size_t input, const Message& message) {
    switch (message.kind()) {
      case MessageKind::kWatermark:
        idle_[input] = false;
        watermarks_[input] = std::max(watermarks_[input], message.watermark());
        break;
      case MessageKind::kIdle:
        idle_[input] = true;
        break;
      case MessageKind::kEndOfStream:
        watermarks_[input] = kMaxWatermark;
        break;
      default:
        break;
    }
  }
  //! `input` sent rows: it holds the merged watermark back again, and the rows passed on
  //! tell downstream that this stream is active again.
  void Active(size_t input) {
    idle_[input] = false;
    idle_sent_ = false;
  }

  //! What to send on after a Record: a watermark above the last one sent, Idle when every
  //! open input turned idle (once until one is active again), or nothing. Once all inputs
  //! ended, nothing: the end of stream that follows stands for the last watermark.
  std::optional<Message> Next() {
    EventTime low = kMaxWatermark;
    bool open = false, all_idle = true;
    for (size_t i = 0; i < watermarks_.size(); ++i) {
      if (watermarks_[i] == kMaxWatermark) continue;
      open = true;
      if (idle_[i]) continue;
      all_idle = false;
      low = std::min(low, watermarks_[i]);
    }
    if (!open) return std::nullopt;
    if (all_idle) {
      if (idle_sent_) return std::nullopt;
      idle_sent_ = true;
      return Message::Idle();
    }
    idle_sent_ = false;
    if (low <= sent_) return std::nullopt;
    sent_ = low;
    return Message::Watermark(low);
  }

 private:
  static constexpr EventTime kNone = std::numeric_limits<EventTime>::min();
  std::vector<EventTime> watermarks_;
  std::vector<bool> idle_;
  EventTime sent_ = kNone;
  bool idle_sent_ = false;
};

}  // namespace sabot
