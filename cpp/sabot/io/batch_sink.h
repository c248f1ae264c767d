// BatchSink: the message protocol every sink shares (schema check, control events,
// end of stream, abort), so each concrete sink only says what to do with a batch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"
#include "sabot/exec/operator.h"
#include "sabot/io/sink_factory.h"

namespace sabot {

//! Accepts batches until EndOfStream, then commits once. Watermarks and checkpoint
//! barriers are accepted and ignored (these sinks are not transactional per epoch).
//! A batch whose schema differs from the input schema is a bug upstream; a batch after
//! EndOfStream or Abort() is too. After a failed Consume/Commit the sink aborts
//! itself, so an error never leaves partial output behind.
class BatchSink : public Sink {
 public:
  Result<Flow> Push(int port, Message message) final;
  Status Abort() final;

  const std::shared_ptr<arrow::Schema>& input_schema() const { return output_schema(); }

 public:
  // Public so subclasses can inherit it; BatchSink itself is abstract.
  BatchSink(std::shared_ptr<arrow::Schema> input_schema, SinkOutput* output)
      : Sink(std::move(input_schema)), output_(output) {}

 protected:
  //! Handles one batch with the input schema (possibly empty).
  virtual Status Consume(const std::shared_ptr<arrow::RecordBatch>& batch) = 0;
  //! Makes the output final; called once, at EndOfStream.
  virtual Status Commit() = 0;
  //! Discards the output; called at most once, and never after a successful Commit.
  virtual Status Discard() = 0;

  SinkOutput* output() const { return output_; }

 private:
  enum class State : uint8_t { kOpen, kCommitted, kAborted };

  Status Handle(int port, const Message& message);
  Status Fail(const Status& error);

  SinkOutput* output_;
  State state_ = State::kOpen;
};

}  // namespace sabot
