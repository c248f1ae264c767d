// Selective evaluation: a branch runs over the rows that select it (filtered to the
// columns it reads), and its values are spread back to the batch's rows with a take.
#include "sabot/expr/selective_eval.h"

#include <vector>

#include <arrow/array.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/compute/api.h>
#include <arrow/scalar.h>

namespace sabot {

namespace cp = arrow::compute;
using arrow::Datum;

namespace {

// A literal or a column costs nothing to evaluate over every row; a call may.
bool Computed(const cp::Expression& e) { return e.call() != nullptr; }

// Marks the input columns (top-level indices) that `e` reads.
void MarkColumns(const cp::Expression& e, std::vector<bool>* used) {
  if (const auto* p = e.parameter()) {
    if (!p->indices.empty()) (*used)[p->indices[0]] = true;
    return;
  }
  if (const auto* call = e.call()) {
    for (const auto& arg : call->arguments) MarkColumns(arg, used);
  }
}

// The `selected` rows of `input` where `mask` is true, for the columns that `exprs` read;
// the other columns become null scalars (never read, never filtered).
Result<cp::ExecBatch> SelectRows(const std::vector<const cp::Expression*>& exprs, const cp::ExecBatch& input,
                                 const Datum& mask, int64_t selected) {
  std::vector<bool> used(input.values.size(), false);
  for (const auto* e : exprs) MarkColumns(*e, &used);
  std::vector<Datum> values(input.values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const Datum& value = input.values[i];
    if (!used[i]) {
      values[i] = arrow::MakeNullScalar(value.type());
    } else if (value.is_scalar()) {
      values[i] = value;
    } else {
      ARROW_ASSIGN_OR_RAISE(values[i], cp::Filter(value, mask));
    }
  }
  return cp::ExecBatch(std::move(values), selected);
}

// Spreads `part` (one value per row where `mask` is true, in order) over mask's rows:
// null where the mask is false or null.
Result<Datum> Spread(const Datum& part, const arrow::BooleanArray& mask) {
  if (part.is_scalar()) return part;  // the same value in every selected row
  arrow::Int32Builder indices;
  ARROW_RETURN_NOT_OK(indices.Reserve(mask.length()));
  int32_t next = 0;
  for (int64_t i = 0; i < mask.length(); ++i) {
    if (mask.IsValid(i) && mask.Value(i)) {
      indices.UnsafeAppend(next++);
    } else {
      indices.UnsafeAppendNull();
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto taken, indices.Finish());
  return cp::Take(part, taken);
}

Result<Datum> Evaluate(const cp::Expression& e, const cp::ExecBatch& input);

Result<Datum> NullOf(const cp::Expression::Call& call) {
  return Datum(arrow::MakeNullScalar(call.type.GetSharedPtr()));
}

// One branch of an if_else over the rows `mask` selects (`selected` of them).
Result<Datum> Branch(const cp::Expression& branch, const cp::Expression::Call& call, const cp::ExecBatch& input,
                     const Datum& mask, int64_t selected) {
  if (selected == 0) return NullOf(call);
  if (selected == input.length || !Computed(branch)) return Evaluate(branch, input);
  ARROW_ASSIGN_OR_RAISE(auto rows, SelectRows({&branch}, input, mask, selected));
  ARROW_ASSIGN_OR_RAISE(auto part, Evaluate(branch, rows));
  return Spread(part, *mask.array_as<arrow::BooleanArray>());
}

Result<Datum> IfElse(const cp::Expression::Call& call, const cp::ExecBatch& input) {
  const auto& args = call.arguments;
  ARROW_ASSIGN_OR_RAISE(auto cond, Evaluate(args[0], input));
  if (cond.is_scalar()) {
    const auto& c = cond.scalar_as<arrow::BooleanScalar>();
    if (!c.is_valid) return NullOf(call);
    return Evaluate(args[c.value ? 1 : 2], input);
  }
  const auto mask = cond.array_as<arrow::BooleanArray>();
  const int64_t when_true = mask->true_count();
  const int64_t when_false = mask->false_count();
  if (when_true == input.length) return Evaluate(args[1], input);
  if (when_false == input.length) return Evaluate(args[2], input);
  ARROW_ASSIGN_OR_RAISE(auto then_value, Branch(args[1], call, input, cond, when_true));
  Datum else_value;
  if (when_false == 0) {
    ARROW_ASSIGN_OR_RAISE(else_value, NullOf(call));
  } else {
    ARROW_ASSIGN_OR_RAISE(auto inverted, cp::Invert(cond));  // null stays null: neither branch
    ARROW_ASSIGN_OR_RAISE(else_value, Branch(args[2], call, input, inverted, when_false));
  }
  return cp::CallFunction("if_else", {cond, then_value, else_value});
}

// coalesce(args[first], args[first + 1], ...): each fallback only where all before are null.
Result<Datum> CoalesceFrom(const cp::Expression::Call& call, size_t first, const cp::ExecBatch& input) {
  const auto& args = call.arguments;
  ARROW_ASSIGN_OR_RAISE(auto value, Evaluate(args[first], input));
  if (first + 1 == args.size()) return value;
  if (value.is_scalar()) {
    return value.scalar()->is_valid ? Result<Datum>(value) : CoalesceFrom(call, first + 1, input);
  }
  const int64_t nulls = value.null_count();
  if (nulls == 0) return value;
  if (nulls == input.length) return CoalesceFrom(call, first + 1, input);
  ARROW_ASSIGN_OR_RAISE(auto missing, cp::IsNull(value));
  std::vector<const cp::Expression*> rest;
  for (size_t i = first + 1; i < args.size(); ++i) rest.push_back(&args[i]);
  ARROW_ASSIGN_OR_RAISE(auto rows, SelectRows(rest, input, missing, nulls));
  ARROW_ASSIGN_OR_RAISE(auto part, CoalesceFrom(call, first + 1, rows));
  ARROW_ASSIGN_OR_RAISE(auto fallback, Spread(part, *missing.array_as<arrow::BooleanArray>()));
  return cp::CallFunction("coalesce", {value, fallback});
}

Result<Datum> Evaluate(const cp::Expression& e, const cp::ExecBatch& input) {
  if (!HasSelectiveConditional(e)) return cp::ExecuteScalarExpression(e, input);
  const auto& call = *e.call();
  if (call.function_name == "if_else" && call.arguments.size() == 3) return IfElse(call, input);
  if (call.function_name == "coalesce" && !call.arguments.empty()) return CoalesceFrom(call, 0, input);
  // A call above a conditional: its arguments selectively, then its own kernel.
  std::vector<Datum> args;
  for (const auto& arg : call.arguments) {
    ARROW_ASSIGN_OR_RAISE(auto value, Evaluate(arg, input));
    args.push_back(std::move(value));
  }
  return cp::CallFunction(call.function_name, args, call.options.get());
}

}  // namespace

bool HasSelectiveConditional(const cp::Expression& bound) {
  const auto* call = bound.call();
  if (call == nullptr) return false;
  const auto& args = call->arguments;
  if (call->function_name == "if_else" && args.size() == 3 && (Computed(args[1]) || Computed(args[2]))) return true;
  if (call->function_name == "coalesce") {
    for (size_t i = 1; i < args.size(); ++i) {
      if (Computed(args[i])) return true;
    }
  }
  for (const auto& arg : args) {
    if (HasSelectiveConditional(arg)) return true;
  }
  return false;
}

Result<Datum> EvaluateSelectively(const cp::Expression& bound, const cp::ExecBatch& input) {
  return Evaluate(bound, input);
}

}  // namespace sabot
