// InnerJoinBelowFilteringJoin: the more selective of a semi/anti join and an inner join
// above it runs first.
#include "sabot/plan/optimizer/filtering_join_order.h"

#include <algorithm>

namespace sabot {

namespace {

// The inner join must keep at most this part of what the semi or anti join keeps: the
// estimates are rough, only a clear difference is worth a rewrite.
constexpr double kClearlySmaller = 0.5;

}  // namespace

std::optional<PlanPtr> InnerJoinBelowFilteringJoin(const JoinNode& join, const std::vector<PlanPtr>& inputs,
                                                   PlanFacts& facts, CardinalityEstimator& estimates,
                                                   const JoinBuilder& build) {
  if (join.spec.type != JoinType::kInner || IsChangelogJoin(join)) return std::nullopt;
  const PlanPtr& left = inputs[0];
  if (left->kind() != PlanKind::kJoin || IsChangelogJoin(*left)) return std::nullopt;
  const auto& filtering = static_cast<const JoinNode&>(*left);
  const JoinType type = filtering.spec.type;
  if ((!OutputsLeftOnly(type) && !OutputsRightOnly(type)) || filtering.spec.residual) return std::nullopt;
  // X is the input whose rows F keeps (its right one for right semi/anti), S the other.
  const int x_side = OutputsRightOnly(type) ? 1 : 0;
  const PlanPtr& x = filtering.inputs()[x_side];
  const PlanPtr& right = inputs[1];
  const auto x_rows = estimates.Rows(*x);
  const auto filtered_rows = estimates.Rows(filtering);
  const auto right_rows = estimates.Rows(*right);
  const auto right_base = estimates.BaseRows(*right);
  if (!x_rows || !filtered_rows || !right_rows || !right_base || *x_rows <= 0 || *right_base <= 0) {
    return std::nullopt;
  }
  // As the estimator reads a join: each row meets at most one row of the other side, kept
  // as often as that side's filters kept rows of its table.
  const double inner_keeps = std::min(1.0, *right_rows / *right_base);
  const double filter_keeps = std::min(1.0, *filtered_rows / *x_rows);
  if (inner_keeps > kClearlySmaller * filter_keeps) return std::nullopt;
  auto schema = facts.schemas.find(&join);
  const JoinNode inner_as_written(x, right, join.spec);
  PlanPtr inner = build(inner_as_written, {x, right});
  PlanPtr out = x_side == 0 ? std::make_shared<JoinNode>(inner, filtering.inputs()[1], filtering.spec)
                            : std::make_shared<JoinNode>(filtering.inputs()[0], inner, filtering.spec);
  if (schema != facts.schemas.end()) {
    facts.schemas[inner.get()] = schema->second;
    facts.schemas[out.get()] = schema->second;
  }
  return out;
}

}  // namespace sabot
