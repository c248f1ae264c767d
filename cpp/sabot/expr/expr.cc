// The expression tree, its builders and its printing.
#include "sabot/expr/expr.h"

#include <algorithm>

#include <arrow/compute/api_scalar.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/exec.h>
#include <arrow/scalar.h>
#include <arrow/util/decimal.h>
#include <arrow/type.h>

#include "sabot/common/type_names.h"
#include "sabot/expr/bind.h"

namespace sabot {

struct Expr::Node {
  Kind kind;
  std::string name;  // column or function
  std::shared_ptr<arrow::Scalar> literal;
  std::vector<Expr> args;
  ExprOptions options;
};

Expr Expr::Column(std::string name) {
  return Expr(std::make_shared<Node>(Node{Kind::kColumn, std::move(name), nullptr, {}, {}}));
}
Expr Expr::Literal(std::shared_ptr<arrow::Scalar> value) {
  return Expr(std::make_shared<Node>(Node{Kind::kLiteral, "", std::move(value), {}, {}}));
}
Expr Expr::Call(std::string function, std::vector<Expr> args, ExprOptions options) {
  return Expr(std::make_shared<Node>(
      Node{Kind::kCall, std::move(function), nullptr, std::move(args), std::move(options)}));
}

Expr::Kind Expr::kind() const { return node_->kind; }
const std::string& Expr::column_name() const { return node_->name; }
const std::shared_ptr<arrow::Scalar>& Expr::literal() const { return node_->literal; }
const std::string& Expr::function() const { return node_->name; }
const std::vector<Expr>& Expr::args() const { return node_->args; }
const ExprOptions& Expr::options() const { return node_->options; }

namespace {

// Infix spelling of the functions the operators build, for readable plans.
const char* InfixOperator(const std::string& function) {
  static const std::map<std::string, const char*> ops = {
      {"add_checked", "+"},  {"subtract_checked", "-"}, {"multiply_checked", "*"},
      {"divide_checked", "/"}, {"equal", "=="},         {"not_equal", "!="},
      {"less", "<"},         {"less_equal", "<="},      {"greater", ">"},
      {"greater_equal", ">="}, {"and_kleene", "and"},   {"or_kleene", "or"},
  };
  auto it = ops.find(function);
  return it == ops.end() ? nullptr : it->second;
}

std::string LiteralToString(const arrow::Scalar& s) {
  if (!s.is_valid) return "null::" + FormatDataType(*s.type);
  switch (s.type->id()) {
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
      return "'" + s.ToString() + "'";
    case arrow::Type::BOOL:
    case arrow::Type::INT64:
    case arrow::Type::DOUBLE:
      return s.ToString();
    default:
      return s.ToString() + "::" + FormatDataType(*s.type);
  }
}

}  // namespace

std::string Expr::ToString() const {
  switch (node_->kind) {
    case Kind::kColumn:
      return node_->name;
    case Kind::kLiteral:
      return LiteralToString(*node_->literal);
    case Kind::kCall: {
      const auto& args = node_->args;
      if (const char* op = InfixOperator(node_->name); op && args.size() == 2) {
        return "(" + args[0].ToString() + " " + op + " " + args[1].ToString() + ")";
      }
      if (node_->name == "invert" && args.size() == 1) return "(not " + args[0].ToString() + ")";
      if (node_->name == "negate_checked" && args.size() == 1) return "(-" + args[0].ToString() + ")";
      std::vector<std::string> parts;
      for (const auto& arg : args) parts.push_back(arg.ToString());
      for (const auto& [key, value] : node_->options) parts.push_back(key + "=" + value);
      return node_->name + "(" + JoinNames(parts) + ")";
    }
  }
  return "?";
}

bool Expr::Equals(const Expr& other) const {
  if (node_ == other.node_) return true;
  const Node& a = *node_;
  const Node& b = *other.node_;
  if (a.kind != b.kind || a.name != b.name || a.options != b.options ||
      a.args.size() != b.args.size()) {
    return false;
  }
  if (a.kind == Kind::kLiteral && !a.literal->Equals(*b.literal)) return false;
  for (size_t i = 0; i < a.args.size(); ++i) {
    if (!a.args[i].Equals(b.args[i])) return false;
  }
  return true;
}

std::vector<std::string> Expr::ColumnRefs() const {
  std::vector<std::string> out;
  std::vector<const Expr*> stack = {this};
  // Depth-first, left to right, so the order is the order of first use.
  while (!stack.empty()) {
    const Expr* e = stack.back();
    stack.pop_back();
    if (e->kind() == Kind::kColumn) {
      if (std::find(out.begin(), out.end(), e->column_name()) == out.end()) {
        out.push_back(e->column_name());
      }
    }
    for (auto it = e->node_->args.rbegin(); it != e->node_->args.rend(); ++it) stack.push_back(&*it);
  }
  return out;
}

Expr col(std::string name) { return Expr::Column(std::move(name)); }
Expr lit(bool v) { return Expr::Literal(arrow::MakeScalar(v)); }
Expr lit(int32_t v) { return Expr::Literal(arrow::MakeScalar(v)); }
Expr lit(int64_t v) { return Expr::Literal(arrow::MakeScalar(v)); }
Expr lit(double v) { return Expr::Literal(arrow::MakeScalar(v)); }
Expr lit(const char* v) { return lit(std::string(v)); }
Expr lit(std::string v) { return Expr::Literal(std::make_shared<arrow::StringScalar>(std::move(v))); }
Expr NullLiteral(std::shared_ptr<arrow::DataType> type) {
  return Expr::Literal(arrow::MakeNullScalar(std::move(type)));
}

namespace {

// `text` as a decimal of `type` (a DecimalType whose value class is Value).
template <typename Value, typename Scalar>
Result<std::shared_ptr<arrow::Scalar>> ParseDecimal(const std::shared_ptr<arrow::DataType>& type,
                                                    const std::string& text) {
  const auto& decimal = static_cast<const arrow::DecimalType&>(*type);
  Value value;
  int32_t precision = 0;
  int32_t scale = 0;
  ARROW_RETURN_NOT_OK(Value::FromString(text, &value, &precision, &scale));
  if (scale < decimal.scale()) {
    ARROW_ASSIGN_OR_RAISE(value, value.Rescale(scale, decimal.scale()));
  } else if (scale > decimal.scale()) {
    // Dropping only zeros is exact ("1.50" at scale 1); Rescale refuses anything else.
    auto rescaled = value.Rescale(scale, decimal.scale());
    if (!rescaled.ok()) {
      return Status::Invalid("it has ", scale, " digits after the point, the type ", decimal.scale());
    }
    value = *rescaled;
  }
  if (!value.FitsInPrecision(decimal.precision())) {
    return Status::Invalid("it needs more than the type's ", decimal.precision(), " digits");
  }
  return std::make_shared<Scalar>(value, type);
}

// A timestamp with a zone from text: without an offset, a wall-clock time in the type's
// zone (as DuckDB reads TIMESTAMPTZ text in its session's zone, and Polars and pandas in
// the zone given; a time the zone skips or repeats at a clock change is an error); with
// one ("Z", "+02:00"), that instant. Arrow's Scalar::Parse reads the first as UTC.
Result<std::shared_ptr<arrow::Scalar>> ParseZonedTimestamp(const std::shared_ptr<arrow::DataType>& type,
                                                           const std::string& text) {
  const auto& zoned = static_cast<const arrow::TimestampType&>(*type);
  ARROW_RETURN_NOT_OK(EnsureComputeInitialized());
  // Arrow's cast, not Scalar::Parse: the latter reads "13:00-04:00" as a naive 17:00
  // rather than refusing the offset.
  auto naive = arrow::compute::Cast(arrow::Datum(std::make_shared<arrow::StringScalar>(text)),
                                    arrow::timestamp(zoned.unit()));
  if (!naive.ok()) return arrow::Scalar::Parse(type, text);  // an offset, or not a time
  arrow::compute::AssumeTimezoneOptions options(zoned.timezone());
  ARROW_ASSIGN_OR_RAISE(auto instant, arrow::compute::CallFunction("assume_timezone", {*naive}, &options));
  return instant.scalar();
}

}  // namespace

Result<std::shared_ptr<arrow::Scalar>> ParseLiteral(const std::shared_ptr<arrow::DataType>& type,
                                                    const std::string& text) {
  Result<std::shared_ptr<arrow::Scalar>> scalar;
  switch (type->id()) {
    case arrow::Type::DECIMAL32:
      scalar = ParseDecimal<arrow::Decimal32, arrow::Decimal32Scalar>(type, text);
      break;
    case arrow::Type::DECIMAL64:
      scalar = ParseDecimal<arrow::Decimal64, arrow::Decimal64Scalar>(type, text);
      break;
    case arrow::Type::DECIMAL128:
      scalar = ParseDecimal<arrow::Decimal128, arrow::Decimal128Scalar>(type, text);
      break;
    case arrow::Type::DECIMAL256:
      scalar = ParseDecimal<arrow::Decimal256, arrow::Decimal256Scalar>(type, text);
      break;
    case arrow::Type::TIMESTAMP:
      scalar = static_cast<const arrow::TimestampType&>(*type).timezone().empty() ? arrow::Scalar::Parse(type, text)
                                                                                  : ParseZonedTimestamp(type, text);
      break;
    default:
      scalar = arrow::Scalar::Parse(type, text);
  }
  if (!scalar.ok()) {
    return Status::Invalid("cannot read literal '", text, "' as ", FormatDataType(*type), ": ",
                           scalar.status().message());
  }
  return scalar;
}

static Expr Binary(const char* f, Expr a, Expr b) {
  return Expr::Call(f, {std::move(a), std::move(b)});
}
Expr operator+(Expr a, Expr b) { return Binary("add_checked", std::move(a), std::move(b)); }
Expr operator-(Expr a, Expr b) { return Binary("subtract_checked", std::move(a), std::move(b)); }
Expr operator*(Expr a, Expr b) { return Binary("multiply_checked", std::move(a), std::move(b)); }
Expr operator/(Expr a, Expr b) { return Binary("divide_checked", std::move(a), std::move(b)); }
Expr operator-(Expr a) { return Expr::Call("negate_checked", {std::move(a)}); }
Expr operator==(Expr a, Expr b) { return Binary("equal", std::move(a), std::move(b)); }
Expr operator!=(Expr a, Expr b) { return Binary("not_equal", std::move(a), std::move(b)); }
Expr operator<(Expr a, Expr b) { return Binary("less", std::move(a), std::move(b)); }
Expr operator<=(Expr a, Expr b) { return Binary("less_equal", std::move(a), std::move(b)); }
Expr operator>(Expr a, Expr b) { return Binary("greater", std::move(a), std::move(b)); }
Expr operator>=(Expr a, Expr b) { return Binary("greater_equal", std::move(a), std::move(b)); }
Expr operator&&(Expr a, Expr b) { return Binary("and_kleene", std::move(a), std::move(b)); }
Expr operator||(Expr a, Expr b) { return Binary("or_kleene", std::move(a), std::move(b)); }
Expr operator!(Expr a) { return Expr::Call("invert", {std::move(a)}); }

namespace {

void AppendConjuncts(const Expr& e, std::vector<Expr>* out) {
  if (e.kind() == Expr::Kind::kCall && e.function() == "and_kleene" && e.args().size() == 2) {
    AppendConjuncts(e.args()[0], out);
    AppendConjuncts(e.args()[1], out);
    return;
  }
  out->push_back(e);
}

}  // namespace

std::vector<Expr> Conjuncts(const Expr& e) {
  std::vector<Expr> out;
  AppendConjuncts(e, &out);
  return out;
}

Expr AndAll(const std::vector<Expr>& conjuncts) {
  Expr all = conjuncts.front();
  for (size_t i = 1; i < conjuncts.size(); ++i) all = all && conjuncts[i];
  return all;
}

Expr Cast(Expr e, const std::shared_ptr<arrow::DataType>& to) {
  return Expr::Call("cast", {std::move(e)}, {{"to", FormatDataType(*to)}});
}
Expr IsNull(Expr e) { return Expr::Call("is_null", {std::move(e)}); }
Expr IsValid(Expr e) { return Expr::Call("is_valid", {std::move(e)}); }
Expr IfElse(Expr cond, Expr then, Expr otherwise) {
  return Expr::Call("if_else", {std::move(cond), std::move(then), std::move(otherwise)});
}
Expr StrPTime(Expr e, std::string format, std::string unit) {
  return Expr::Call("strptime", {std::move(e)}, {{"format", std::move(format)}, {"unit", std::move(unit)}});
}

}  // namespace sabot
