// Project: computes the output columns from each batch. Select, with_columns and
// rename are all lowered to it.
#pragma once

#include <vector>

#include "sabot/exec/operator.h"
#include "sabot/expr/bind.h"

namespace sabot {

class ProjectOperator final : public BatchTransform {
 public:
  ProjectOperator(std::shared_ptr<arrow::Schema> output_schema, std::vector<BoundExpr> columns)
      : BatchTransform(std::move(output_schema)), columns_(std::move(columns)) {}
  std::string_view name() const override { return "Project"; }

 protected:
  Result<std::shared_ptr<arrow::RecordBatch>> Transform(
      const std::shared_ptr<arrow::RecordBatch>& batch) override;

 private:
  std::vector<BoundExpr> columns_;
};

//! Output columns in order; duplicate output names are an error.
Result<std::unique_ptr<ProjectOperator>> MakeProject(const std::shared_ptr<arrow::Schema>& input,
                                                     const std::vector<NamedExpr>& columns);

//! The projection with_columns means: every input column, a computed one replacing
//! its namesake in place, new ones appended.
std::vector<NamedExpr> WithColumnsProjection(const arrow::Schema& input,
                                             const std::vector<NamedExpr>& columns);

//! The projection rename means; renaming a column that does not exist, or onto a name
//! that another column keeps, is an error.
Result<std::vector<NamedExpr>> RenameProjection(
    const arrow::Schema& input, const std::vector<std::pair<std::string, std::string>>& renames);

}  // namespace sabot
