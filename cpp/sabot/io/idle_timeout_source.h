// IdleTimeoutSource: gives any source an idle timeout, after which its splits declare
// themselves idle (Message::Idle) until their next message.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "sabot/exec/source.h"

namespace sabot {

//! Passes the messages of `inner` on. When `inner` has had nothing ready (Pending) for
//! `timeout` since its last message, it yields one Message::Idle, then waits as before;
//! its next batch or watermark makes it active again.
class IdleTimeoutSplit final : public SplitReader {
 public:
  IdleTimeoutSplit(std::unique_ptr<SplitReader> inner, std::chrono::microseconds timeout)
      : inner_(std::move(inner)), timeout_(timeout) {}
  Result<SourcePoll> Next() override;

 private:
  std::unique_ptr<SplitReader> inner_;
  std::chrono::microseconds timeout_;
  std::chrono::steady_clock::time_point last_message_{};
  bool started_ = false;
  bool idle_ = false;
};

//! `inner` with an idle timeout on every split it opens; everything else is `inner`'s.
class IdleTimeoutSource final : public Source {
 public:
  IdleTimeoutSource(std::shared_ptr<Source> inner, std::chrono::microseconds timeout)
      : inner_(std::move(inner)), timeout_(timeout) {}

  std::string ToString() const override;
  const std::shared_ptr<arrow::Schema>& schema() const override { return inner_->schema(); }
  bool bounded() const override { return inner_->bounded(); }
  Result<std::vector<std::shared_ptr<SourceSplit>>> Splits() override { return inner_->Splits(); }
  Result<std::unique_ptr<SplitReader>> Open(const SourceSplit& split) override;

 private:
  std::shared_ptr<Source> inner_;
  std::chrono::microseconds timeout_;
};

}  // namespace sabot
