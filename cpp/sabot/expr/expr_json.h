// Expressions as JSON, the form plan files carry:
//   {"col": "price"}
//   {"lit": 3, "type": "int64"}            {"lit": null, "type": "string"}
//   {"call": "add_checked", "args": [...], "options": {"to": "int32"}}
#pragma once

#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "sabot/common/errors.h"
#include "sabot/expr/expr.h"

namespace sabot {

nlohmann::json ExprToJson(const Expr& expr);
//! `where` names the place in the plan file for errors ("plan.input.predicate").
Result<Expr> ExprFromJson(const nlohmann::json& json, std::string_view where);

}  // namespace sabot
