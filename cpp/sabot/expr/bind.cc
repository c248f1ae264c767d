// Binding and evaluation of expressions on Arrow compute.
#include "sabot/common/type_names.h"
#include "sabot/expr/bind.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>

#include <arrow/array/array_binary.h>
#include <arrow/array/builder_base.h>
#include <arrow/array/util.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/function.h>
#include <arrow/compute/initialize.h>
#include <arrow/compute/registry.h>
#include <arrow/record_batch.h>
#include <arrow/scalar.h>
#include <arrow/type.h>

#include "sabot/expr/decimal_to_float64.h"
#include "sabot/expr/function_options.h"
#include "sabot/expr/like_segments.h"
#include "sabot/expr/selective_eval.h"
#include "sabot/expr/split_part.h"

namespace sabot {

namespace cp = arrow::compute;

Status EnsureComputeInitialized() {
  // Sabot's own functions join Arrow's in its registry, so call() reaches both alike.
  static const Status status = [] {
    ARROW_RETURN_NOT_OK(cp::Initialize());
    ARROW_RETURN_NOT_OK(RegisterLikeSegments());
    ARROW_RETURN_NOT_OK(RegisterDecimalToFloat64());
    return RegisterSplitPart();
  }();
  return status;
}

namespace {

// match_like with a pattern of literal text and '%' over a string column, as the faster
// like_segments (see like_segments.h); nullopt where match_like stays.
std::optional<cp::Expression> LikeOverSegments(const std::string& function, const std::vector<cp::Expression>& args,
                                               const cp::FunctionOptions* options, const arrow::Schema& schema) {
  if (function != "match_like" || args.size() != 1 || options == nullptr) return std::nullopt;
  const auto& match = static_cast<const cp::MatchSubstringOptions&>(*options);
  if (match.ignore_case || !LikeSegments::Applies(match.pattern)) return std::nullopt;
  auto strings = args[0].Bind(schema);
  if (!strings.ok() || strings->type() == nullptr) return std::nullopt;
  const auto id = strings->type()->id();
  if (id != arrow::Type::STRING && id != arrow::Type::LARGE_STRING) return std::nullopt;
  return cp::call(kLikeSegmentsFunction, {args[0], cp::literal(std::make_shared<arrow::StringScalar>(match.pattern))});
}

// add/subtract/multiply/negate_checked over floating-point values, as the unchecked
// function: for floats the checked kernels compute exactly the same (nothing overflows
// into an error), but through a per-value visitor of both validity bitmaps instead of a
// vectorized loop (6% of TPC-H Q1). Only where an argument is floating and the others
// numeric: Arrow then casts all to that floating type. divide_checked stays: it fails
// on a zero divisor where divide gives inf.
std::optional<std::string> UncheckedFloatArithmetic(const std::string& function, const std::vector<cp::Expression>& args,
                                                    const arrow::Schema& schema) {
  static const std::map<std::string, std::string> kUnchecked = {{"add_checked", "add"},
                                                                {"subtract_checked", "subtract"},
                                                                {"multiply_checked", "multiply"},
                                                                {"negate_checked", "negate"}};
  auto unchecked = kUnchecked.find(function);
  if (unchecked == kUnchecked.end()) return std::nullopt;
  bool floating = false;
  for (const auto& arg : args) {
    auto bound = arg.Bind(schema);
    if (!bound.ok() || bound->type() == nullptr) return std::nullopt;
    const auto& type = *bound->type();
    if (arrow::is_floating(type.id())) {
      floating = true;
    } else if (!arrow::is_integer(type.id())) {
      return std::nullopt;
    }
  }
  if (!floating) return std::nullopt;
  return unchecked->second;
}

// The types of a call's operands that are not literals, for the literal rewrites below
// (null for a literal, or for an operand that does not bind: binding the call reports
// that); empty when no operand is a literal, as they then change nothing.
std::vector<std::shared_ptr<arrow::DataType>> OperandTypes(const std::vector<cp::Expression>& args,
                                                           const arrow::Schema& schema) {
  const bool any_literal = std::any_of(args.begin(), args.end(), [](const auto& arg) { return arg.literal() != nullptr; });
  if (args.size() < 2 || !any_literal) return {};
  std::vector<std::shared_ptr<arrow::DataType>> types;
  for (const auto& arg : args) {
    if (arg.literal() != nullptr) {
      types.push_back(nullptr);
      continue;
    }
    auto bound = arg.Bind(schema);
    types.push_back(bound.ok() && bound->type() != nullptr ? bound->type()->GetSharedPtr() : nullptr);
  }
  return types;
}

// The first of `types` whose id `wanted` takes, or null.
template <typename Wanted>
std::shared_ptr<arrow::DataType> FirstOperandType(const std::vector<std::shared_ptr<arrow::DataType>>& types,
                                                  Wanted&& wanted) {
  for (const auto& type : types) {
    if (type != nullptr && wanted(type->id())) return type;
  }
  return nullptr;
}

// An integer literal beside a decimal operand, as a decimal of its own digits (scale 0),
// so the kernel's common decimal type is the operand's, widened only as far as the value
// needs. Left as int64, binding casts it as a type of 19 digits, and where the kernel's
// decimal has fewer digits to hold those plus the scale, the bind fails: `price > 100`
// and `price * 2` on a decimal(15, 2) column failed with "Precision is not great enough".
void IntegerLiteralsAsDecimals(const std::vector<std::shared_ptr<arrow::DataType>>& operand_types,
                               std::vector<cp::Expression>* args) {
  const auto decimal = FirstOperandType(operand_types, [](arrow::Type::type id) { return arrow::is_decimal(id); });
  if (decimal == nullptr) return;
  for (auto& arg : *args) {
    const arrow::Datum* datum = arg.literal();
    if (datum == nullptr || !datum->is_scalar() || !arrow::is_integer(datum->type()->id())) continue;
    auto value = cp::Cast(*datum, arrow::int64());  // an unsigned one past int64 stays as it is
    if (!value.ok() || !value->scalar()->is_valid) continue;
    const int64_t v = value->scalar_as<arrow::Int64Scalar>().value;
    int digits = 1;
    for (uint64_t rest = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v); rest >= 10; rest /= 10) ++digits;
    if (decimal->id() == arrow::Type::DECIMAL256) {
      arg = cp::literal(std::make_shared<arrow::Decimal256Scalar>(arrow::Decimal256(v), arrow::decimal256(digits, 0)));
    } else {
      arg = cp::literal(std::make_shared<arrow::Decimal128Scalar>(arrow::Decimal128(v), arrow::decimal128(digits, 0)));
    }
  }
}

// A string literal compared with a date or timestamp operand, read as that type (as SQL
// engines do: `l_shipdate >= '1998-01-01'`); Arrow has no kernel comparing the two. Text
// that does not parse is an error naming it.
Status StringLiteralsAsTemporal(const std::string& function,
                                const std::vector<std::shared_ptr<arrow::DataType>>& operand_types,
                                std::vector<cp::Expression>* args) {
  static const std::set<std::string> kComparisons = {"equal", "not_equal", "less", "less_equal", "greater",
                                                     "greater_equal"};
  if (kComparisons.count(function) == 0) return Status::OK();
  const auto temporal = FirstOperandType(operand_types, [](arrow::Type::type id) {
    return id == arrow::Type::DATE32 || id == arrow::Type::DATE64 || id == arrow::Type::TIMESTAMP;
  });
  if (temporal == nullptr) return Status::OK();
  for (auto& arg : *args) {
    const arrow::Datum* datum = arg.literal();
    if (datum == nullptr || !datum->is_scalar() || !datum->scalar()->is_valid) continue;
    const auto id = datum->type()->id();
    if (id != arrow::Type::STRING && id != arrow::Type::LARGE_STRING) continue;
    // ParseLiteral: text beside a timestamp with a zone, without an offset, is a
    // wall-clock time in that zone (`ts > '2024-01-01 13:00:00'` beside a UTC column
    // means 13:00 UTC, as DuckDB reads it in its session's zone), as a typed literal is.
    ARROW_ASSIGN_OR_RAISE(auto read, ParseLiteral(temporal, datum->scalar()->ToString()));
    arg = cp::literal(std::move(read));
  }
  return Status::OK();
}

// An IN list of text beside a date, timestamp or decimal input, read as the input's type
// by ParseLiteral, as a comparison's text is (`d IN ('2024-01-01', ...)`; Python's is_in
// writes dates, datetimes and Decimals so): Arrow casts no text set to a timestamp or a
// decimal, and reads a zoned timestamp's text as UTC. Text that does not read is an
// error naming it. Other options are returned as they are.
Result<std::shared_ptr<cp::FunctionOptions>> ValueSetAsOperandType(const std::string& function,
                                                                    const std::vector<cp::Expression>& args,
                                                                    const arrow::Schema& schema,
                                                                    std::shared_ptr<cp::FunctionOptions> options) {
  if ((function != "is_in" && function != "index_in") || args.size() != 1) return options;
  const auto* lookup = dynamic_cast<const cp::SetLookupOptions*>(options.get());
  if (lookup == nullptr || !lookup->value_set.is_array() || lookup->value_set.type()->id() != arrow::Type::STRING) {
    return options;
  }
  auto input = args[0].Bind(schema);
  if (!input.ok() || input->type() == nullptr) return options;  // binding the call reports it
  const auto type = input->type()->GetSharedPtr();
  const auto id = type->id();
  if (id != arrow::Type::DATE32 && id != arrow::Type::DATE64 && id != arrow::Type::TIMESTAMP &&
      !arrow::is_decimal(id)) {
    return options;
  }
  const auto set_of_texts = lookup->value_set.make_array();
  const auto& texts = static_cast<const arrow::StringArray&>(*set_of_texts);
  ARROW_ASSIGN_OR_RAISE(auto builder, arrow::MakeBuilder(type));
  for (int64_t i = 0; i < texts.length(); ++i) {
    if (texts.IsNull(i)) {
      ARROW_RETURN_NOT_OK(builder->AppendNull());
      continue;
    }
    ARROW_ASSIGN_OR_RAISE(auto value, ParseLiteral(type, std::string(texts.GetView(i))));
    ARROW_RETURN_NOT_OK(builder->AppendScalar(*value));
  }
  ARROW_ASSIGN_OR_RAISE(auto set, builder->Finish());
  return std::make_shared<cp::SetLookupOptions>(set, lookup->null_matching_behavior);
}

// Whether `expr` casts a decimal column (32 to 128 bits) to float64: that cast runs as
// Sabot's own kernel (see decimal_to_float64.h). Types are known here for columns only,
// the case of reading decimal files as floats.
bool IsDecimalColumnToFloat64(const Expr& expr, const cp::FunctionOptions* options, const arrow::Schema& schema) {
  if (expr.function() != "cast" || expr.args().size() != 1 || expr.args()[0].kind() != Expr::Kind::kColumn) {
    return false;
  }
  const auto* cast = dynamic_cast<const cp::CastOptions*>(options);
  if (cast == nullptr || cast->to_type.type == nullptr || cast->to_type.type->id() != arrow::Type::DOUBLE) return false;
  const auto field = schema.GetFieldByName(expr.args()[0].column_name());
  if (field == nullptr) return false;
  const auto id = field->type()->id();
  return id == arrow::Type::DECIMAL32 || id == arrow::Type::DECIMAL64 || id == arrow::Type::DECIMAL128;
}

// Converts to an unbound Arrow expression, checking names first so errors are about
// the user's words (column, function) rather than Arrow's internals.
Result<cp::Expression> ToArrow(const Expr& expr, const arrow::Schema& schema) {
  switch (expr.kind()) {
    case Expr::Kind::kColumn: {
      const auto& name = expr.column_name();
      if (schema.GetFieldIndex(name) < 0) {
        if (schema.GetAllFieldIndices(name).size() > 1) {
          return Status::KeyError("column '", name, "' is ambiguous: the input has it more than once");
        }
        return Status::KeyError("column '", name, "' does not exist; the columns are: ",
                                JoinNames(FieldNames(schema)));
      }
      return cp::field_ref(name);
    }
    case Expr::Kind::kLiteral:
      return cp::literal(expr.literal());
    case Expr::Kind::kCall: {
      auto function = cp::GetFunctionRegistry()->GetFunction(expr.function());
      if (!function.ok()) return Status::KeyError("unknown function '", expr.function(), "'");
      // "cast" is a meta function that dispatches to scalar kernels; aggregates and
      // vector functions (sort, filter) do not work row by row.
      auto kind = (*function)->kind();
      if (kind != cp::Function::SCALAR && kind != cp::Function::META) {
        return Status::Invalid("function '", expr.function(),
                               "' is not a scalar function and cannot be used in an expression");
      }
      std::vector<cp::Expression> args;
      for (const auto& arg : expr.args()) {
        ARROW_ASSIGN_OR_RAISE(auto a, ToArrow(arg, schema));
        args.push_back(std::move(a));
      }
      ARROW_ASSIGN_OR_RAISE(auto options, MakeFunctionOptions(expr.function(), expr.options()));
      if (auto like = LikeOverSegments(expr.function(), args, options.get(), schema)) return *like;
      if (IsDecimalColumnToFloat64(expr, options.get(), schema)) return cp::call(kDecimalToFloat64, std::move(args));
      const auto operand_types = OperandTypes(args, schema);
      IntegerLiteralsAsDecimals(operand_types, &args);
      ARROW_ASSIGN_OR_RAISE(options, ValueSetAsOperandType(expr.function(), args, schema, std::move(options)));
      ARROW_RETURN_NOT_OK(StringLiteralsAsTemporal(expr.function(), operand_types, &args));
      if (auto name = UncheckedFloatArithmetic(expr.function(), args, schema)) {
        return cp::call(*name, std::move(args), std::move(options));
      }
      return cp::call(expr.function(), std::move(args), std::move(options));
    }
  }
  return Status::UnknownError("internal error (a bug in sabot): unknown expression kind");
}

// The innermost call in `expr` that does not bind while its arguments do, described with
// its arguments' types as written: Arrow's own message names them after its implicit
// casts (`s == 5` over a string column reads "(string, int8)", the literal narrowed).
// Empty when every call binds on its own.
std::string FirstMismatch(const Expr& expr, const arrow::Schema& schema) {
  if (expr.kind() != Expr::Kind::kCall) return "";
  auto bind = [&](const Expr& e) -> Result<cp::Expression> {
    ARROW_ASSIGN_OR_RAISE(auto unbound, ToArrow(e, schema));
    return unbound.Bind(schema);
  };
  std::vector<std::string> types;
  for (const auto& arg : expr.args()) {
    auto bound = bind(arg);
    if (!bound.ok()) return FirstMismatch(arg, schema);  // that argument holds the mismatch
    types.push_back(FormatDataType(*bound->type()));
  }
  if (bind(expr).ok()) return "";
  std::vector<std::string> written;
  for (const auto& arg : expr.args()) written.push_back("`" + arg.ToString() + "`");
  return "function '" + expr.function() + "' has no kernel matching input types (" + JoinNames(types) + ")" +
         (written.empty() ? "" : ", the types of " + JoinNames(written));
}

}  // namespace

Result<BoundExpr> Bind(const Expr& expr, const std::shared_ptr<arrow::Schema>& schema) {
  ARROW_RETURN_NOT_OK(EnsureComputeInitialized());
  ARROW_ASSIGN_OR_RAISE(auto unbound, ToArrow(expr, *schema));
  auto bound = unbound.Bind(*schema);
  if (!bound.ok()) {
    const auto& st = bound.status();
    // A UDF's own error (e.g. a Python exception while it learns its result type)
    // keeps its detail, so the caller sees that error itself.
    if (st.detail() != nullptr) return st.WithMessage("invalid expression `", expr.ToString(), "`: ", st.message());
    if (st.IsNotImplemented() || st.IsTypeError()) {
      // Arrow's generic "no kernel matching input types" names the types after its casts;
      // a function's own message (a UDF's specializer) is kept.
      const bool generic = st.message().find("no kernel matching input types") != std::string::npos;
      const std::string mismatch = generic ? FirstMismatch(expr, *schema) : "";
      return Status::TypeError("type mismatch in expression `", expr.ToString(), "`: ",
                               mismatch.empty() ? st.message() : mismatch);
    }
    return Status::Invalid("invalid expression `", expr.ToString(), "`: ", st.message());
  }
  return BoundExpr(expr, std::move(*bound));
}

BoundExpr::BoundExpr(Expr expr, cp::Expression arrow_expr)
    : expr_(std::move(expr)), arrow_expr_(std::move(arrow_expr)), selective_(HasSelectiveConditional(arrow_expr_)) {}

Result<std::shared_ptr<arrow::Array>> BoundExpr::Evaluate(const arrow::RecordBatch& batch) const {
  auto datum = selective_ ? EvaluateSelectively(arrow_expr_, cp::ExecBatch(batch))
                          : cp::ExecuteScalarExpression(arrow_expr_, cp::ExecBatch(batch));
  if (!datum.ok()) {
    return datum.status().WithMessage("evaluating `", expr_.ToString(), "`: ", datum.status().message());
  }
  if (datum->is_array()) return datum->make_array();
  if (datum->is_scalar()) return arrow::MakeArrayFromScalar(*datum->scalar(), batch.num_rows());
  return Status::UnknownError("internal error (a bug in sabot): expression `", expr_.ToString(),
                              "` gave neither an array nor a scalar");
}

}  // namespace sabot
