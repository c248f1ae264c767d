// Physical operator interface: a push-based stage that consumes Messages and emits
// them to the next stage.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"
#include "sabot/exec/message.h"
#include "sabot/exec/operator_metrics.h"

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

  //! Rows this copy holds as state right now (open windows, buffered join sides); 0 for
  //! operators without such state. Read after each message for the peak-state metric.
  virtual int64_t state_rows() const { return 0; }

  //! Push, counted into this operator's metrics when it has any: how executors and
  //! upstream operators deliver messages.
  Result<Flow> Receive(int port, Message message) {
    if (metrics_ == nullptr) return Push(port, std::move(message));
    if (message.is_batch() && counts_input_) {
      metrics_->rows_in.fetch_add(message.batch()->num_rows(), std::memory_order_relaxed);
      metrics_->batches_in.fetch_add(1, std::memory_order_relaxed);
    }
    const int64_t emitted_before = emit_ns_;
    const auto start = std::chrono::steady_clock::now();
    Result<Flow> flow = Push(port, std::move(message));
    const int64_t inside = (std::chrono::steady_clock::now() - start).count();
    metrics_->busy_ns.fetch_add(inside - (emit_ns_ - emitted_before), std::memory_order_relaxed);
    const int64_t state = state_rows();
    int64_t peak = metrics_->peak_state_rows.load(std::memory_order_relaxed);
    while (state > peak && !metrics_->peak_state_rows.compare_exchange_weak(peak, state)) {
    }
    return flow;
  }

  //! Where this copy of the step adds its counts; null counts nothing. A step lowered to
  //! a row of operators shares one slot: all add their time, the first counts the rows
  //! in (`counts_input`), the last the rows out (`counts_output`).
  void SetMetrics(OperatorMetrics* metrics, bool counts_input = true, bool counts_output = true) {
    metrics_ = metrics;
    counts_input_ = counts_input;
    counts_output_ = counts_output;
  }
  OperatorMetrics* metrics() const { return metrics_; }

  const std::shared_ptr<arrow::Schema>& output_schema() const { return output_schema_; }

  //! Wires this operator's output to input `port` of `downstream`.
  void ConnectTo(Operator* downstream, int port) {
    downstream_ = downstream;
    downstream_port_ = port;
  }

 protected:
  explicit Operator(std::shared_ptr<arrow::Schema> output_schema)
      : output_schema_(std::move(output_schema)) {}

  //! For an operator whose output narrows after it was made (FilterOperator::KeepOnly),
  //! before a consumer is connected: the consumer is built for the schema it sees.
  Status NarrowOutputSchema(std::shared_ptr<arrow::Schema> schema) {
    SABOT_CHECK(downstream_ == nullptr);
    output_schema_ = std::move(schema);
    return Status::OK();
  }

  Result<Flow> Emit(Message message) {
    SABOT_CHECK(downstream_ != nullptr);
    if (metrics_ == nullptr) return downstream_->Receive(downstream_port_, std::move(message));
    if (message.is_batch() && counts_output_) {
      metrics_->rows_out.fetch_add(message.batch()->num_rows(), std::memory_order_relaxed);
      metrics_->batches_out.fetch_add(1, std::memory_order_relaxed);
    }
    const auto start = std::chrono::steady_clock::now();
    Result<Flow> flow = downstream_->Receive(downstream_port_, std::move(message));
    emit_ns_ += (std::chrono::steady_clock::now() - start).count();
    return flow;
  }

 private:
  std::shared_ptr<arrow::Schema> output_schema_;
  Operator* downstream_ = nullptr;
  int downstream_port_ = 0;
  OperatorMetrics* metrics_ = nullptr;
  bool counts_input_ = true, counts_output_ = true;
  int64_t emit_ns_ = 0;  // time spent downstream, summed over this copy's life
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
