// LateRowsOperator: the side output of an event-time window aggregate, the rows that
// came later than its allowed lateness, as a stream of their own.
#pragma once

#include <memory>

#include "sabot/exec/operator.h"

namespace sabot {

//! Sits right after a window aggregate whose late sink calls EmitLate: the late rows
//! (input schema of the window) go downstream, the window results arriving on port 0
//! are dropped, and control events pass, so the side output closes and advances with
//! the window. Late rows leave before the watermark that made them late.
class LateRowsOperator final : public Operator {
 public:
  explicit LateRowsOperator(std::shared_ptr<arrow::Schema> rows_schema) : Operator(std::move(rows_schema)) {}
  std::string_view name() const override { return "LateRows"; }
  Result<Flow> Push(int port, Message message) override;

  //! Sends `rows` (the window's input schema) downstream; the late sink of the window.
  Status EmitLate(std::shared_ptr<arrow::RecordBatch> rows);

 private:
  bool stopped_ = false;  // downstream wants nothing more
};

}  // namespace sabot
