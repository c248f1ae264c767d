// Explode: one output row per element of a list column; the other columns repeat.
// Rows with an empty or null list produce nothing (as SQL's UNNEST).
#pragma once

#include "sabot/exec/operator.h"

namespace sabot {

class ExplodeOperator final : public BatchTransform {
 public:
  ExplodeOperator(std::shared_ptr<arrow::Schema> output_schema, int column)
      : BatchTransform(std::move(output_schema)), column_(column) {}
  std::string_view name() const override { return "Explode"; }

 protected:
  Result<std::shared_ptr<arrow::RecordBatch>> Transform(
      const std::shared_ptr<arrow::RecordBatch>& batch) override;

 private:
  int column_;
};

//! The column must exist and be a list (or large list).
Result<std::unique_ptr<ExplodeOperator>> MakeExplode(const std::shared_ptr<arrow::Schema>& input,
                                                     const std::string& column);

}  // namespace sabot
