// Shared behaviour of operators.
#include "sabot/exec/operator.h"

namespace sabot {

Result<Flow> BatchTransform::Push(int port, Message message) {
  if (message.is_control()) return Emit(std::move(message));
  ARROW_ASSIGN_OR_RAISE(auto out, Transform(message.batch()));
  if (out == nullptr) return Flow::kContinue;
  return Emit(Message::Batch(std::move(out)));
}

}  // namespace sabot
