// Projection: evaluate each output expression over the batch; plain column references
// are zero-copy.
#include "sabot/common/type_names.h"
#include "sabot/ops/project.h"

#include <map>
#include <set>

#include <arrow/api.h>

namespace sabot {

Result<std::shared_ptr<arrow::RecordBatch>> ProjectOperator::Transform(
    const std::shared_ptr<arrow::RecordBatch>& batch) {
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  arrays.reserve(columns_.size());
  for (const auto& column : columns_) {
    ARROW_ASSIGN_OR_RAISE(auto array, column.Evaluate(*batch));
    arrays.push_back(std::move(array));
  }
  return arrow::RecordBatch::Make(output_schema(), batch->num_rows(), std::move(arrays));
}

Result<std::unique_ptr<ProjectOperator>> MakeProject(const std::shared_ptr<arrow::Schema>& input,
                                                     const std::vector<NamedExpr>& columns) {
  std::set<std::string> seen;
  arrow::FieldVector fields;
  std::vector<BoundExpr> bound;
  for (const auto& c : columns) {
    if (!seen.insert(c.name).second) {
      return Status::Invalid("output column '", c.name, "' is defined more than once");
    }
    ARROW_ASSIGN_OR_RAISE(auto b, Bind(c.expr, input));
    // A plain column keeps its field's nullability and metadata.
    if (c.expr.kind() == Expr::Kind::kColumn) {
      fields.push_back(input->GetFieldByName(c.expr.column_name())->WithName(c.name));
    } else {
      fields.push_back(arrow::field(c.name, b.type()));
    }
    bound.push_back(std::move(b));
  }
  return std::make_unique<ProjectOperator>(arrow::schema(std::move(fields)), std::move(bound));
}

std::vector<NamedExpr> WithColumnsProjection(const arrow::Schema& input,
                                             const std::vector<NamedExpr>& columns) {
  std::vector<NamedExpr> out;
  std::map<std::string, const NamedExpr*> replacements;
  for (const auto& c : columns) replacements[c.name] = &c;
  for (const auto& f : input.fields()) {
    auto it = replacements.find(f->name());
    if (it != replacements.end()) {
      out.push_back(*it->second);
      replacements.erase(it);
    } else {
      out.push_back({f->name(), col(f->name())});
    }
  }
  for (const auto& c : columns) {
    if (replacements.count(c.name)) out.push_back(c);
  }
  return out;
}

Result<std::vector<NamedExpr>> RenameProjection(
    const arrow::Schema& input, const std::vector<std::pair<std::string, std::string>>& renames) {
  std::map<std::string, std::string> new_names;
  for (const auto& [from, to] : renames) {
    if (input.GetFieldIndex(from) < 0) {
      return Status::KeyError("cannot rename column '", from, "': it does not exist; the columns are: ",
                              JoinNames(FieldNames(input)));
    }
    new_names[from] = to;
  }
  std::vector<NamedExpr> out;
  std::set<std::string> taken;
  for (const auto& f : input.fields()) {
    auto it = new_names.find(f->name());
    std::string name = it == new_names.end() ? f->name() : it->second;
    if (!taken.insert(name).second) {
      return Status::Invalid("rename gives two columns the name '", name, "'");
    }
    out.push_back({name, col(f->name())});
  }
  return out;
}

}  // namespace sabot
