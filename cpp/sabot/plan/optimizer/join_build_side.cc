// Build-side choice: swapping inner and left joins, reducing the build input of the others.
#include "sabot/plan/optimizer/join_build_side.h"

#include <set>
#include <string>

#include <arrow/type.h>

namespace sabot {

namespace {

// Above these ratios of estimated rows (right over left) the rules act: the estimates are
// rough, so only a clear difference is worth a rewrite.
constexpr double kSwapRatio = 2.0;
constexpr double kReduceRatio = 4.0;
// The left keeps at most this part of its table for its keys to be selective.
constexpr double kSelectiveLeft = 0.5;

bool NamesClash(const arrow::Schema& left, const arrow::Schema& right) {
  for (const auto& f : right.fields()) {
    if (left.GetFieldIndex(f->name()) >= 0 || left.GetAllFieldsByName(f->name()).size() > 1) return true;
  }
  return false;
}

// Inner stays inner; left becomes right, which keeps the unmatched rows of the same input.
PlanPtr SwapSides(const JoinNode& join, std::vector<PlanPtr>& inputs, const arrow::Schema& left,
                  const arrow::Schema& right) {
  JoinSpec swapped = join.spec;
  if (swapped.type == JoinType::kLeft) swapped.type = JoinType::kRight;
  std::swap(swapped.left_keys, swapped.right_keys);
  auto swapped_join = std::make_shared<JoinNode>(inputs[1], inputs[0], std::move(swapped));
  std::vector<NamedExpr> columns;
  for (const auto* schema : {&left, &right}) {
    for (const auto& f : schema->fields()) columns.push_back({f->name(), Expr::Column(f->name())});
  }
  return std::make_shared<ProjectNode>(std::move(swapped_join), std::move(columns));
}

PlanPtr ReduceRight(const JoinNode& join, std::vector<PlanPtr>& inputs) {
  std::vector<NamedExpr> keys;
  std::set<std::string> seen;
  for (const auto& k : join.spec.left_keys) {
    if (seen.insert(k).second) keys.push_back({k, Expr::Column(k)});
  }
  JoinSpec reduce;
  reduce.type = JoinType::kSemi;
  reduce.left_keys = join.spec.right_keys;
  reduce.right_keys = join.spec.left_keys;
  auto left_keys = std::make_shared<ProjectNode>(inputs[0], std::move(keys));
  auto reduced = std::make_shared<JoinNode>(inputs[1], std::move(left_keys), std::move(reduce));
  return std::make_shared<JoinNode>(inputs[0], std::move(reduced), join.spec);
}

}  // namespace

PlanPtr ChooseBuildSide(const JoinNode& join, std::vector<PlanPtr> inputs, const PlanFacts& facts,
                        CardinalityEstimator& estimates) {
  const JoinType type = join.spec.type;
  const auto left_rows = estimates.Rows(*inputs[0]);
  const auto right_rows = estimates.Rows(*inputs[1]);
  if (KeepsUnmatchedRight(type) || !left_rows || !right_rows) return WithInputs(join, std::move(inputs));
  // A right join over an input that never ends would be a changelog join: left joins
  // swap only between bounded inputs.
  const bool swappable =
      type == JoinType::kInner || (type == JoinType::kLeft && IsBounded(*inputs[0]) && IsBounded(*inputs[1]));
  if (swappable && *right_rows > kSwapRatio * *left_rows) {
    auto left = facts.schemas.find(join.inputs()[0].get());
    auto right = facts.schemas.find(join.inputs()[1].get());
    if (left != facts.schemas.end() && right != facts.schemas.end() && !NamesClash(*left->second, *right->second)) {
      return SwapSides(join, inputs, *left->second, *right->second);
    }
  }
  const auto left_base = estimates.BaseRows(*inputs[0]);
  if (*right_rows > kReduceRatio * *left_rows && left_base && *left_rows <= kSelectiveLeft * *left_base) {
    return ReduceRight(join, inputs);
  }
  return WithInputs(join, std::move(inputs));
}

}  // namespace sabot
