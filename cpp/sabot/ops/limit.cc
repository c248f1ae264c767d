// Limit with a budget claimed atomically, so copies on several threads share it.
#include "sabot/ops/limit.h"

#include <algorithm>

#include <arrow/record_batch.h>

namespace sabot {

namespace {

// Takes up to `want` from `budget`; returns what was taken.
int64_t Claim(std::atomic<int64_t>& budget, int64_t want) {
  int64_t have = budget.load(std::memory_order_relaxed);
  while (have > 0) {
    int64_t take = std::min(have, want);
    if (budget.compare_exchange_weak(have, have - take, std::memory_order_relaxed)) return take;
  }
  return 0;
}

}  // namespace

Result<Flow> LimitOperator::End() {
  if (state_->ended.exchange(true)) return Flow::kStop;
  ARROW_RETURN_NOT_OK(Emit(Message::EndOfStream()));
  return Flow::kStop;
}

Result<Flow> LimitOperator::Push(int port, Message message) {
  if (state_->ended.load()) return Flow::kStop;
  if (message.kind() == MessageKind::kEndOfStream) return End();
  if (message.is_control()) return Emit(std::move(message));

  const auto& batch = message.batch();
  int64_t rows = batch->num_rows();
  int64_t skipped = Claim(state_->to_skip, rows);
  int64_t passed = Claim(state_->to_pass, rows - skipped);
  if (passed > 0 || rows == 0) {
    auto out = (skipped == 0 && passed == rows) ? batch : batch->Slice(skipped, passed);
    ARROW_ASSIGN_OR_RAISE(auto flow, Emit(Message::Batch(std::move(out))));
    if (flow == Flow::kStop) return flow;
  }
  if (state_->to_skip.load() == 0 && state_->to_pass.load() == 0) return End();
  return Flow::kContinue;
}

}  // namespace sabot
