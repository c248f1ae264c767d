// EventTimeJoinOperator: the message handling shared by the two-input event-time joins
// (interval, as-of, window, temporal).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/exec/operator.h"
#include "sabot/ops/two_input_progress.h"

namespace sabot {

//! Input 0 is the left side, input 1 the right. A non-empty batch goes to Consume. A
//! Watermark or EndOfStream that moves its input on goes to Advanced; then the output
//! watermark (the minimum of the inputs') leaves when it moved, or EndOfStream once both
//! inputs ended. Barriers leave once every open input sent them. An input that sent Idle
//! does not hold the output watermark back until it sends a batch or watermark again.
class EventTimeJoinOperator : public Operator {
 public:
  int num_inputs() const final { return 2; }
  Result<Flow> Push(int port, Message message) final;

 protected:
  using Operator::Operator;

  virtual Result<Flow> Consume(int port, const std::shared_ptr<arrow::RecordBatch>& batch) = 0;
  //! The watermark of input `port` moved (to +infinity when it ended): emit what that
  //! decides and let go of the state it rules out.
  virtual Result<Flow> Advanced(int port) = 0;

  const TwoInputProgress& progress() const { return progress_; }

  //! A key group snapshot's section with both inputs' watermarks (WatermarksSchema), and
  //! restoring them from it: held rows are judged against them.
  static std::shared_ptr<arrow::Schema> WatermarksSchema();
  Result<std::shared_ptr<arrow::RecordBatch>> WatermarksSection() const;
  void RestoreWatermarks(const arrow::RecordBatch& section);

  //! Checks that `batch` of input `port` has the columns planned (`planned`) and reads its
  //! event times (column `time_column`, named `time_name` in errors) into `times`.
  Status ReadTimes(int port, const arrow::RecordBatch& batch, const arrow::Schema& planned, int time_column,
                   const std::string& time_name, std::vector<int64_t>* times) const;

 private:
  TwoInputProgress progress_;
};

}  // namespace sabot
