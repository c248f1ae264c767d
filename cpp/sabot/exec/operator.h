// Physical operator interface: a push-based stage that consumes Messages and emits
// them to the next stage.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"
#include "sabot/exec/message.h"

namespace sabot {

//! What a stage tells its caller after a Push.
enum class Flow : uint8_t {
  kContinue,  //!< keep sending
  kStop,      //!< send nothing more on this input (e.g. a satisfied Limit downstream)
};

//! A push-based operator. An instance is one thread's copy of a pipeline stage: its
//! members are that thread's local state. State that must be shared between the
//! copies of a stage (a Limit's row budget, a join's hash table) is an object handed
//! to every copy at construction; combining and finalizing it is explicit.
class Operator {
 public:
  virtual ~Operator() = default;

  //! The operator's kind, e.g. "Filter"; used in errors and metrics.
  virtual std::string_view name() const = 0;
  virtual int num_inputs() const { return 1; }

  //! Consumes one message arriving on input `port` and emits results downstream.
  virtual Result<Flow> Push(int port, Message message) = 0;

  const std::shared_ptr<arrow::Schema>& output_schema() const { return output_schema_; }

  //! Wires this operator's output to input `port` of `downstream`.
  void ConnectTo(Operator* downstream, int port) {
    downstream_ = downstream;
    downstream_port_ = port;
  }

 protected:
  explicit Operator(std::shared_ptr<arrow::Schema> output_schema)
      : output_schema_(std::move(output_schema)) {}

  Result<Flow> Emit(Message message) {
    SABOT_CHECK(downstream_ != nullptr);
    return downstream_->Push(downstream_port_, std::move(message));
  }

 private:
  std::shared_ptr<arrow::Schema> output_schema_;
  Operator* downstream_ = nullptr;
  int downstream_port_ = 0;
};

//! A single-input operator that maps each batch to at most one batch and forwards
//! control events unchanged (filter, project, rename, explode).
class BatchTransform : public Operator {
 public:
  Result<Flow> Push(int port, Message message) override;

 protected:
  using Operator::Operator;
  //! Returns the transformed batch; nullptr emits nothing for this input batch.
  virtual Result<std::shared_ptr<arrow::RecordBatch>> Transform(
      const std::shared_ptr<arrow::RecordBatch>& batch) = 0;
};

//! The end of a pipeline. EndOfStream commits the output; Abort() discards it, so a
//! failed job leaves nothing half-written.
class Sink : public Operator {
 public:
  //! Discards whatever was written so far. Safe to call more than once, and after commit
  //! (then it does nothing).
  virtual Status Abort() = 0;

 protected:
  explicit Sink(std::shared_ptr<arrow::Schema> input_schema) : Operator(std::move(input_schema)) {}
};

}  // namespace sabot
