// The message protocol shared by every sink.
#include "sabot/io/batch_sink.h"

#include <arrow/record_batch.h>
#include <arrow/type.h>

namespace sabot {

Result<Flow> BatchSink::Push(int port, Message message) {
  // Any failure, a broken invariant included, discards the output.
  if (Status st = Handle(port, message); !st.ok()) return Fail(st);
  return Flow::kContinue;
}

Status BatchSink::Handle(int port, const Message& message) {
  SABOT_CHECK(port == 0);
  switch (message.kind()) {
    case MessageKind::kWatermark:
    case MessageKind::kCheckpointBarrier:
    case MessageKind::kIdle:
      return Status::OK();
    case MessageKind::kBatch: {
      SABOT_CHECK(state_ == State::kOpen);
      const auto& batch = message.batch();
      SABOT_CHECK(batch != nullptr);
      // Field metadata may differ harmlessly between operators; names and types may not.
      SABOT_CHECK(batch->schema()->Equals(*input_schema(), /*check_metadata=*/false));
      ARROW_RETURN_NOT_OK(Consume(batch));
      output_->rows += batch->num_rows();
      return Status::OK();
    }
    case MessageKind::kEndOfStream: {
      SABOT_CHECK(state_ == State::kOpen);
      ARROW_RETURN_NOT_OK(Commit());
      state_ = State::kCommitted;
      return Status::OK();
    }
  }
  return Status::UnknownError("internal error (a bug in sabot): unknown message kind ",
                              static_cast<int>(message.kind()));
}

Status BatchSink::Abort() {
  if (state_ != State::kOpen) return Status::OK();
  state_ = State::kAborted;
  return Discard();
}

Status BatchSink::Fail(const Status& error) {
  // The first error is the one to report; a failure to clean up comes second.
  Status cleanup = Abort();
  if (!cleanup.ok()) {
    return error.WithMessage(error.message(), " (and cleanup failed: ", cleanup.message(), ")");
  }
  return error;
}

}  // namespace sabot
