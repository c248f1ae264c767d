// Schema checks shared by the file sources: column projection and file-vs-file schema match.
#include "sabot/io/source_schema.h"

#include <arrow/type.h>

#include "sabot/common/type_names.h"

namespace sabot {

Result<std::vector<int>> ResolveColumns(const arrow::Schema& schema,
                                        const std::vector<std::string>& columns,
                                        std::string_view where) {
  std::vector<int> indices;
  if (columns.empty()) {
    for (int i = 0; i < schema.num_fields(); ++i) indices.push_back(i);
    return indices;
  }
  for (const auto& name : columns) {
    const int i = schema.GetFieldIndex(name);
    if (i < 0) {
      const bool duplicate = schema.GetAllFieldIndices(name).size() > 1;
      return Status::Invalid(where, ": ", duplicate ? "ambiguous" : "unknown", " column '",
                             name, "' (available columns: ", JoinNames(FieldNames(schema)),
                             ")");
    }
    indices.push_back(i);
  }
  return indices;
}

std::shared_ptr<arrow::Schema> SelectFields(const arrow::Schema& schema,
                                            const std::vector<int>& indices) {
  arrow::FieldVector fields;
  fields.reserve(indices.size());
  for (int i : indices) fields.push_back(schema.field(i));
  return arrow::schema(std::move(fields), schema.metadata());
}

Status CheckSameSchema(const arrow::Schema& expected, const arrow::Schema& found,
                       std::string_view path, std::string_view expected_from) {
  const auto expected_names = FieldNames(expected);
  const auto found_names = FieldNames(found);
  if (expected_names != found_names) {
    return Status::Invalid(path, ": columns differ from ", expected_from, ": expected [",
                           JoinNames(expected_names), "], found [", JoinNames(found_names),
                           "]");
  }
  for (int i = 0; i < expected.num_fields(); ++i) {
    const auto& e = *expected.field(i)->type();
    const auto& f = *found.field(i)->type();
    if (!e.Equals(f)) {
      return Status::TypeError(path, ": column '", expected.field(i)->name(),
                               "' has a different type than in ", expected_from,
                               ": expected ", FormatDataType(e), ", found ",
                               FormatDataType(f));
    }
  }
  return Status::OK();
}

}  // namespace sabot
