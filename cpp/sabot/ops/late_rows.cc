// LateRowsOperator: forwarding a window's late rows and control events.
#include "sabot/ops/late_rows.h"

#include <arrow/record_batch.h>

namespace sabot {

Result<Flow> LateRowsOperator::Push(int /*port*/, Message message) {
  if (message.is_batch()) return stopped_ ? Flow::kStop : Flow::kContinue;  // window results
  if (stopped_) return Flow::kStop;
  ARROW_ASSIGN_OR_RAISE(Flow flow, Emit(std::move(message)));
  if (flow == Flow::kStop) stopped_ = true;
  return flow;
}

Status LateRowsOperator::EmitLate(std::shared_ptr<arrow::RecordBatch> rows) {
  // The window counts the rows whether or not anyone downstream still wants them.
  if (stopped_) return Status::OK();
  ARROW_ASSIGN_OR_RAISE(Flow flow, Emit(Message::Batch(std::move(rows))));
  if (flow == Flow::kStop) stopped_ = true;
  return Status::OK();
}

}  // namespace sabot
