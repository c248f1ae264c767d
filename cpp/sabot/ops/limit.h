// Limit: skips `offset` rows, passes `count` rows, then ends the stream and tells its
// input to stop, so a limit over an unbounded source finishes.
#pragma once

#include <atomic>
#include <memory>

#include "sabot/exec/operator.h"

namespace sabot {

//! The row budget, shared by every thread's copy of one Limit stage.
struct LimitState {
  LimitState(int64_t count, int64_t offset) : to_skip(offset), to_pass(count) {}
  std::atomic<int64_t> to_skip;
  std::atomic<int64_t> to_pass;
  std::atomic<bool> ended{false};  //!< EndOfStream was sent downstream
};

class LimitOperator final : public Operator {
 public:
  LimitOperator(std::shared_ptr<arrow::Schema> schema, std::shared_ptr<LimitState> state)
      : Operator(std::move(schema)), state_(std::move(state)) {}
  std::string_view name() const override { return "Limit"; }
  Result<Flow> Push(int port, Message message) override;

 private:
  Result<Flow> End();
  std::shared_ptr<LimitState> state_;
};

}  // namespace sabot
