// Expressions over columns: a small immutable tree (column, literal, call of an Arrow
// compute function) that plans carry and serialize; Bind() turns it into an Arrow
// compute expression checked against a schema.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"

namespace sabot {

//! Options of a function call as text ("to" -> "int32" for cast, "format" for strptime).
//! Text keeps plans readable and serializable; Bind() parses them per function.
using ExprOptions = std::map<std::string, std::string>;

class Expr {
 public:
  enum class Kind : uint8_t { kColumn, kLiteral, kCall };

  static Expr Column(std::string name);
  static Expr Literal(std::shared_ptr<arrow::Scalar> value);
  //! `function` is an Arrow compute function name ("add_checked", "utf8_upper", ...).
  static Expr Call(std::string function, std::vector<Expr> args, ExprOptions options = {});

  Kind kind() const;
  const std::string& column_name() const;              //!< kColumn
  const std::shared_ptr<arrow::Scalar>& literal() const;  //!< kLiteral
  const std::string& function() const;                 //!< kCall
  const std::vector<Expr>& args() const;               //!< kCall
  const ExprOptions& options() const;                  //!< kCall

  //! Readable form, infix for operators: "((price * qty) > 100)".
  std::string ToString() const;
  bool Equals(const Expr& other) const;
  //! Names of the columns the expression reads, in first-use order, without repeats.
  std::vector<std::string> ColumnRefs() const;

 private:
  struct Node;
  explicit Expr(std::shared_ptr<const Node> node) : node_(std::move(node)) {}
  std::shared_ptr<const Node> node_;
};

//! An output column of a projection.
struct NamedExpr {
  std::string name;
  Expr expr;
};

// Builders; arithmetic is overflow-checked, comparisons and boolean logic follow SQL
// three-valued semantics (Kleene and/or).
Expr col(std::string name);
Expr lit(bool v);
Expr lit(int32_t v);
Expr lit(int64_t v);
Expr lit(double v);
Expr lit(const char* v);
Expr lit(std::string v);
Expr NullLiteral(std::shared_ptr<arrow::DataType> type);
//! A literal of `type` read from `text` (a plan file's literal, Python's lit(text, type)):
//! Arrow's Scalar::Parse, and decimals, which it cannot read: their digits exactly, in
//! plain or exponent notation, at the type's scale ("1.5" as decimal128(10, 2) is 1.50)
//! and within its precision; a value with more fractional digits than the scale, or more
//! digits than the precision, is an error. A timestamp with a zone reads text without an
//! offset as a wall-clock time in that zone. Errors name the text and the type.
Result<std::shared_ptr<arrow::Scalar>> ParseLiteral(const std::shared_ptr<arrow::DataType>& type,
                                                    const std::string& text);

Expr operator+(Expr a, Expr b);
Expr operator-(Expr a, Expr b);
Expr operator*(Expr a, Expr b);
Expr operator/(Expr a, Expr b);
Expr operator-(Expr a);
Expr operator==(Expr a, Expr b);
Expr operator!=(Expr a, Expr b);
Expr operator<(Expr a, Expr b);
Expr operator<=(Expr a, Expr b);
Expr operator>(Expr a, Expr b);
Expr operator>=(Expr a, Expr b);
Expr operator&&(Expr a, Expr b);
Expr operator||(Expr a, Expr b);
Expr operator!(Expr a);

//! The conjuncts of `e`: the operands of its top-level ANDs, left to right (`e` alone
//! when it is no AND). A row passes `e` exactly when it passes every conjunct.
std::vector<Expr> Conjuncts(const Expr& e);
//! The AND of `conjuncts` (not empty), left to right.
Expr AndAll(const std::vector<Expr>& conjuncts);

Expr Cast(Expr e, const std::shared_ptr<arrow::DataType>& to);
Expr IsNull(Expr e);
Expr IsValid(Expr e);
Expr IfElse(Expr cond, Expr then, Expr otherwise);
//! Parses strings into timestamps, e.g. StrPTime(col("s"), "%Y-%m-%d", "us").
Expr StrPTime(Expr e, std::string format, std::string unit = "us");

}  // namespace sabot
