// Arrow data types and schemas as text, for plan files and CLI flags:
// "int64", "string", "timestamp[us]", "timestamp[ms, tz=UTC]", "date32",
// "decimal128(12, 2)", "list<int64>".
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"

namespace sabot {

//! Parses a type name; errors name the text and list the accepted forms.
Result<std::shared_ptr<arrow::DataType>> ParseDataType(std::string_view text);
//! The column names of a schema, in order (for messages that list what exists).
std::vector<std::string> FieldNames(const arrow::Schema& schema);

//! The inverse of ParseDataType: FormatDataType(ParseDataType(s)) is canonical.
std::string FormatDataType(const arrow::DataType& type);

}  // namespace sabot
