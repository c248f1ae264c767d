// ReducingJoinBelowLookupJoin: a reducing join runs before a lookup join under it.
#include "sabot/plan/optimizer/lookup_join_order.h"

#include <algorithm>
#include <initializer_list>
#include <set>
#include <string>

#include <arrow/type.h>

namespace sabot {

namespace {

// `join` must keep at most this part of what the lookup join keeps of A: the estimates
// are rough, only a clear difference is worth a rewrite.
constexpr double kClearlySmaller = 0.5;

bool IsPlainJoinOf(const PlanNode& node, std::initializer_list<JoinType> types) {
  if (node.kind() != PlanKind::kJoin || IsChangelogJoin(node)) return false;
  const auto& join = static_cast<const JoinNode&>(node);
  return std::find(types.begin(), types.end(), join.spec.type) != types.end() && !join.spec.residual;
}

}  // namespace

std::optional<PlanPtr> ReducingJoinBelowLookupJoin(const JoinNode& join, const std::vector<PlanPtr>& inputs,
                                                   PlanFacts& facts, CardinalityEstimator& estimates,
                                                   const JoinBuilder& build) {
  if (!IsPlainJoinOf(join, {JoinType::kInner, JoinType::kSemi, JoinType::kAnti}) ||
      !IsPlainJoinOf(*inputs[0], {JoinType::kInner})) {
    return std::nullopt;
  }
  // A semi or anti join outputs its left input's columns alone: C's names clash with none.
  const bool outputs_c = join.spec.type == JoinType::kInner;
  const auto& lookup = static_cast<const JoinNode&>(*inputs[0]);
  const PlanPtr& a = lookup.inputs()[0];
  const PlanPtr& b = lookup.inputs()[1];
  const PlanPtr& c = inputs[1];
  auto schema_of = [&](const PlanNode& node) -> const arrow::Schema* {
    auto found = facts.schemas.find(&node);
    return found == facts.schemas.end() ? nullptr : found->second.get();
  };
  const arrow::Schema* a_schema = schema_of(*a);
  const arrow::Schema* b_schema = schema_of(*b);
  const arrow::Schema* c_schema = schema_of(*c);
  auto out_schema = facts.schemas.find(&join);
  if (a_schema == nullptr || b_schema == nullptr || c_schema == nullptr || out_schema == facts.schemas.end()) {
    return std::nullopt;
  }
  std::set<std::string> names;
  for (const auto* schema : {a_schema, b_schema, outputs_c ? c_schema : nullptr}) {
    if (schema == nullptr) continue;
    for (const auto& field : schema->fields()) {
      if (!names.insert(field->name()).second) return std::nullopt;
    }
  }
  for (const auto& key : join.spec.left_keys) {
    if (a_schema->GetFieldIndex(key) < 0) return std::nullopt;
  }
  const auto a_rows = estimates.Rows(*a);
  const auto lookup_rows = estimates.Rows(lookup);
  const auto join_rows = estimates.Rows(join);
  if (!a_rows || !lookup_rows || !join_rows || *a_rows <= 0 || *lookup_rows <= 0) return std::nullopt;
  const double lookup_keeps = *lookup_rows / *a_rows;
  const double join_keeps = *join_rows / *lookup_rows;
  if (join_keeps > kClearlySmaller * lookup_keeps) return std::nullopt;

  // join(A, C), then the lookup over it; `build` finds their inputs' schemas in `facts`.
  auto schema_joining = [](const arrow::Schema& left, const arrow::Schema& right) {
    arrow::FieldVector fields = left.fields();
    fields.insert(fields.end(), right.fields().begin(), right.fields().end());
    return arrow::schema(std::move(fields));
  };
  PlanPtr reducing = build(JoinNode(a, c, join.spec), {a, c});
  facts.schemas[reducing.get()] = outputs_c ? schema_joining(*a_schema, *c_schema) : facts.schemas.at(a.get());
  PlanPtr looked_up = build(JoinNode(reducing, b, lookup.spec), {reducing, b});
  facts.schemas[looked_up.get()] = schema_joining(*facts.schemas[reducing.get()], *b_schema);
  std::vector<NamedExpr> columns;
  for (const auto& field : out_schema->second->fields()) columns.push_back({field->name(), Expr::Column(field->name())});
  PlanPtr out = std::make_shared<ProjectNode>(std::move(looked_up), std::move(columns));
  facts.schemas[out.get()] = out_schema->second;
  return out;
}

}  // namespace sabot
