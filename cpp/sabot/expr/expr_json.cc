// Expression <-> JSON.
#include "sabot/expr/expr_json.h"

#include <cmath>

#include <arrow/scalar.h>
#include <arrow/type.h>
#include <nlohmann/json.hpp>

#include "sabot/common/type_names.h"

namespace sabot {

using nlohmann::json;

namespace {

json LiteralValue(const arrow::Scalar& s) {
  if (!s.is_valid) return nullptr;
  switch (s.type->id()) {
    case arrow::Type::BOOL: return static_cast<const arrow::BooleanScalar&>(s).value;
    case arrow::Type::INT8: return static_cast<const arrow::Int8Scalar&>(s).value;
    case arrow::Type::INT16: return static_cast<const arrow::Int16Scalar&>(s).value;
    case arrow::Type::INT32: return static_cast<const arrow::Int32Scalar&>(s).value;
    case arrow::Type::INT64: return static_cast<const arrow::Int64Scalar&>(s).value;
    case arrow::Type::UINT8: return static_cast<const arrow::UInt8Scalar&>(s).value;
    case arrow::Type::UINT16: return static_cast<const arrow::UInt16Scalar&>(s).value;
    case arrow::Type::UINT32: return static_cast<const arrow::UInt32Scalar&>(s).value;
    case arrow::Type::UINT64: return static_cast<const arrow::UInt64Scalar&>(s).value;
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE: {
      double v = s.type->id() == arrow::Type::FLOAT ? static_cast<const arrow::FloatScalar&>(s).value
                                                    : static_cast<const arrow::DoubleScalar&>(s).value;
      if (std::isfinite(v)) return v;
      return s.ToString();  // JSON has no NaN/Infinity; ParseLiteral reads these back
    }
    default:
      // Strings, dates, timestamps, decimals: Arrow's text form, which ParseLiteral reads.
      return s.ToString();
  }
}

Result<std::shared_ptr<arrow::Scalar>> LiteralFromJson(const json& value,
                                                      const std::shared_ptr<arrow::DataType>& type,
                                                      std::string_view where) {
  if (value.is_null()) return arrow::MakeNullScalar(type);
  if (value.is_boolean() && type->id() == arrow::Type::BOOL) {
    return arrow::MakeScalar(value.get<bool>());
  }
  std::string text;
  if (value.is_string()) {
    text = value.get<std::string>();
  } else if (value.is_number_integer() || value.is_number_float() || value.is_boolean()) {
    text = value.dump();
  } else {
    return Status::Invalid(where, ": literal must be a number, string, boolean or null, found ",
                           value.type_name());
  }
  if (type->id() == arrow::Type::STRING) return std::make_shared<arrow::StringScalar>(text);
  auto scalar = ParseLiteral(type, text);
  if (!scalar.ok()) return Status::Invalid(where, ": ", scalar.status().message());
  return scalar;
}

}  // namespace

json ExprToJson(const Expr& expr) {
  switch (expr.kind()) {
    case Expr::Kind::kColumn:
      return json{{"col", expr.column_name()}};
    case Expr::Kind::kLiteral:
      return json{{"lit", LiteralValue(*expr.literal())},
                  {"type", FormatDataType(*expr.literal()->type)}};
    case Expr::Kind::kCall: {
      json args = json::array();
      for (const auto& a : expr.args()) args.push_back(ExprToJson(a));
      json out{{"call", expr.function()}, {"args", std::move(args)}};
      if (!expr.options().empty()) out["options"] = expr.options();
      return out;
    }
  }
  return nullptr;
}

Result<Expr> ExprFromJson(const json& j, std::string_view where) {
  if (!j.is_object()) {
    return Status::Invalid(where, ": expected an expression object, found ", j.type_name());
  }
  if (j.contains("col")) {
    if (!j["col"].is_string()) return Status::Invalid(where, ".col: expected a column name");
    return Expr::Column(j["col"].get<std::string>());
  }
  if (j.contains("lit")) {
    if (!j.contains("type") || !j["type"].is_string()) {
      return Status::Invalid(where, ": a literal needs \"type\" (e.g. \"int64\")");
    }
    ARROW_ASSIGN_OR_RAISE(auto type, ParseDataType(j["type"].get<std::string>()));
    ARROW_ASSIGN_OR_RAISE(auto scalar, LiteralFromJson(j["lit"], type, where));
    return Expr::Literal(std::move(scalar));
  }
  if (j.contains("call")) {
    if (!j["call"].is_string()) return Status::Invalid(where, ".call: expected a function name");
    std::vector<Expr> args;
    if (j.contains("args")) {
      if (!j["args"].is_array()) return Status::Invalid(where, ".args: expected an array");
      for (size_t i = 0; i < j["args"].size(); ++i) {
        std::string arg_where = std::string(where) + ".args[" + std::to_string(i) + "]";
        ARROW_ASSIGN_OR_RAISE(auto arg, ExprFromJson(j["args"][i], arg_where));
        args.push_back(std::move(arg));
      }
    }
    ExprOptions options;
    if (j.contains("options")) {
      if (!j["options"].is_object()) return Status::Invalid(where, ".options: expected an object");
      for (const auto& [key, value] : j["options"].items()) {
        options[key] = value.is_string() ? value.get<std::string>() : value.dump();
      }
    }
    return Expr::Call(j["call"].get<std::string>(), std::move(args), std::move(options));
  }
  return Status::Invalid(where, ": an expression needs one of \"col\", \"lit\" or \"call\"");
}

}  // namespace sabot
