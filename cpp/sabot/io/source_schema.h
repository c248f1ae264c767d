// Schema checks shared by the file sources: column projection and file-vs-file schema match.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"

namespace sabot {


//! Indices of `columns` in `schema` (all of them when `columns` is empty). An unknown
//! name is an error naming it and listing the available columns; `where` prefixes it.
Result<std::vector<int>> ResolveColumns(const arrow::Schema& schema,
                                        const std::vector<std::string>& columns,
                                        std::string_view where);

//! `schema` restricted to `indices`, in that order.
std::shared_ptr<arrow::Schema> SelectFields(const arrow::Schema& schema,
                                            const std::vector<int>& indices);

//! OK when `found` (read from `path`) has the names and types of `expected` (which came
//! from `expected_from`: the first file or "the explicit schema"). Nullability and
//! metadata are ignored. The error names the file, the column, expected and found.
Status CheckSameSchema(const arrow::Schema& expected, const arrow::Schema& found,
                       std::string_view path, std::string_view expected_from);

}  // namespace sabot
