// MapBatches: applies a user BatchFunction to every batch and checks that what it
// returns has the schema it announced.
#pragma once

#include "sabot/exec/operator.h"
#include "sabot/expr/batch_function.h"

namespace sabot {

class MapBatchesOperator final : public BatchTransform {
 public:
  MapBatchesOperator(std::shared_ptr<arrow::Schema> output_schema, std::shared_ptr<BatchFunction> function)
      : BatchTransform(std::move(output_schema)), function_(std::move(function)) {}
  std::string_view name() const override { return "MapBatches"; }

 protected:
  Result<std::shared_ptr<arrow::RecordBatch>> Transform(
      const std::shared_ptr<arrow::RecordBatch>& batch) override;

 private:
  Result<std::shared_ptr<arrow::RecordBatch>> ConformToSchema(std::shared_ptr<arrow::RecordBatch> batch) const;
  std::shared_ptr<BatchFunction> function_;
};

Result<std::unique_ptr<MapBatchesOperator>> MakeMapBatches(const std::shared_ptr<arrow::Schema>& input,
                                                           std::shared_ptr<BatchFunction> function);

}  // namespace sabot
