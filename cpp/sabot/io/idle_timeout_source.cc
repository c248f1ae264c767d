// IdleTimeoutSplit: turning a long Pending into one Idle message.
#include "sabot/io/idle_timeout_source.h"

#include <algorithm>

namespace sabot {

Result<SourcePoll> IdleTimeoutSplit::Next() {
  const auto now = std::chrono::steady_clock::now();
  if (!started_) {  // the timeout runs from the first poll, not from construction
    started_ = true;
    last_message_ = now;
  }
  ARROW_ASSIGN_OR_RAISE(auto poll, inner_->Next());
  if (poll.state != SourcePoll::State::kPending) {
    if (poll.state == SourcePoll::State::kMessage) {
      last_message_ = now;
      idle_ = false;
    }
    return poll;
  }
  if (idle_) return poll;
  const auto idle_at = last_message_ + timeout_;
  if (now >= idle_at) {
    idle_ = true;
    return SourcePoll::Of(Message::Idle());
  }
  return SourcePoll::Pending(std::min(poll.ready_at, idle_at));
}

std::string IdleTimeoutSource::ToString() const {
  return inner_->ToString() + " idle_timeout=" + std::to_string(timeout_.count()) + "us";
}

Result<std::unique_ptr<SplitReader>> IdleTimeoutSource::Open(const SourceSplit& split) {
  ARROW_ASSIGN_OR_RAISE(auto reader, inner_->Open(split));
  return std::unique_ptr<SplitReader>(new IdleTimeoutSplit(std::move(reader), timeout_));
}

}  // namespace sabot
