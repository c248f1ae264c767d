// AggregateBelowJoin: a grouped aggregate over a join, partly computed below it.
#include "sabot/plan/optimizer/aggregate_pushdown.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <arrow/scalar.h>
#include <arrow/type.h>

namespace sabot {

namespace {

// M must have at least this many rows per row of P (estimated): fewer, and grouping M
// first costs about what it saves the join.
constexpr double kRowsPerKey = 4.0;

const arrow::Schema* SchemaOf(const PlanFacts& facts, const PlanNode& node) {
  auto found = facts.schemas.find(&node);
  return found == facts.schemas.end() ? nullptr : found->second.get();
}

std::string OutputName(const AggregateSpec& spec) {
  return spec.output_name.empty() ? DisplayName(spec) : spec.output_name;
}

// `node` under projections that only pick columns by their names (a join whose sides
// the optimizer swapped puts its columns back in order so): what the aggregate reads by
// name is the same there.
const PlanNode& UnderColumnPicks(const PlanNode& node) {
  const PlanNode* at = &node;
  while (at->kind() == PlanKind::kProject) {
    const auto& columns = static_cast<const ProjectNode&>(*at).columns;
    for (const auto& column : columns) {
      if (column.expr.kind() != Expr::Kind::kColumn || column.expr.column_name() != column.name) return *at;
    }
    at = at->input().get();
  }
  return *at;
}

}  // namespace

std::optional<PlanPtr> AggregateBelowJoin(const AggregateNode& aggregate, const PlanPtr& input, PlanFacts& facts,
                                          CardinalityEstimator& estimates, const JoinBuilder& build) {
  const PlanNode& under = UnderColumnPicks(*input);
  if (!IsBounded(aggregate) || aggregate.keys.size() != 1 || under.kind() != PlanKind::kJoin ||
      IsChangelogJoin(under)) {
    return std::nullopt;
  }
  const auto& join = static_cast<const JoinNode&>(under);
  const JoinSpec& spec = join.spec;
  if (spec.residual || spec.output_columns || spec.left_keys.size() != 1) return std::nullopt;
  // P is the side whose join key the aggregate groups by; M the other, aggregated.
  int p_side;
  if (aggregate.keys[0] == spec.left_keys[0]) {
    p_side = 0;
  } else if (aggregate.keys[0] == spec.right_keys[0]) {
    p_side = 1;
  } else {
    return std::nullopt;
  }
  // M's rows may only be dropped by the join, never kept unmatched (its columns would
  // be null-extended into rows the partial aggregate never sees).
  const bool m_kept_unmatched = p_side == 0 ? KeepsUnmatchedRight(spec.type) : KeepsUnmatchedLeft(spec.type);
  const bool p_kept_unmatched = p_side == 0 ? KeepsUnmatchedLeft(spec.type) : KeepsUnmatchedRight(spec.type);
  const bool joins_both = spec.type == JoinType::kInner || spec.type == JoinType::kLeft || spec.type == JoinType::kRight;
  if (!joins_both || m_kept_unmatched) return std::nullopt;
  const PlanPtr& p = join.inputs()[p_side];
  const PlanPtr& m = join.inputs()[1 - p_side];
  const std::string& m_key = p_side == 0 ? spec.right_keys[0] : spec.left_keys[0];
  const arrow::Schema* p_schema = SchemaOf(facts, *p);
  const arrow::Schema* m_schema = SchemaOf(facts, *m);
  const arrow::Schema* out_schema = SchemaOf(facts, aggregate);
  if (p_schema == nullptr || m_schema == nullptr || out_schema == nullptr) return std::nullopt;

  // The partial aggregates, named as the final ones, which must not clash with P's names.
  std::set<std::string> p_names;
  for (const auto& field : p_schema->fields()) p_names.insert(field->name());
  if (p_names.count(m_key) > 0) return std::nullopt;
  auto m_key_field = m_schema->GetFieldByName(m_key);
  if (m_key_field == nullptr) return std::nullopt;
  std::vector<AggregateSpec> partials, finals;
  arrow::FieldVector partial_fields = {m_key_field};
  std::vector<std::string> counts;  // final names of counts: 0 where no partial row met
  for (const AggregateSpec& a : aggregate.aggregates) {
    const std::string name = OutputName(a);
    auto out_field = out_schema->GetFieldByName(name);
    if (out_field == nullptr || p_names.count(name) > 0 || name == m_key || a.column == m_key ||
        m_schema->GetFieldIndex(a.column) < 0) {
      return std::nullopt;
    }
    AggregateFunction combine;
    switch (a.function) {
      case AggregateFunction::kCount:
        combine = AggregateFunction::kSum;
        counts.push_back(name);
        break;
      case AggregateFunction::kSum:
      case AggregateFunction::kMin:
      case AggregateFunction::kMax:
        combine = a.function;
        break;
      default:
        return std::nullopt;
    }
    partials.push_back({a.function, a.column, name});
    finals.push_back({combine, name, name});
    partial_fields.push_back(out_field);
  }
  const auto p_rows = estimates.Rows(*p);
  const auto m_rows = estimates.Rows(*m);
  if (!p_rows || !m_rows || *p_rows <= 0 || *m_rows < kRowsPerKey * *p_rows) return std::nullopt;

  PlanPtr partial = std::make_shared<AggregateNode>(m, std::vector<std::string>{m_key}, std::move(partials));
  facts.schemas[partial.get()] = arrow::schema(partial_fields);
  std::vector<PlanPtr> sides(2);
  sides[p_side] = p;
  sides[1 - p_side] = partial;
  arrow::FieldVector joined = facts.schemas.at(sides[0].get())->fields();
  for (const auto& field : facts.schemas.at(sides[1].get())->fields()) joined.push_back(field);
  PlanPtr met = build(JoinNode(sides[0], sides[1], spec), sides);
  facts.schemas[met.get()] = arrow::schema(std::move(joined));
  PlanPtr combined = std::make_shared<AggregateNode>(met, aggregate.keys, std::move(finals));
  facts.schemas[combined.get()] = facts.schemas.at(&aggregate);
  if (!p_kept_unmatched || counts.empty()) return combined;
  std::vector<NamedExpr> columns;
  for (const auto& field : out_schema->fields()) {
    const std::string& name = field->name();
    const bool count = std::find(counts.begin(), counts.end(), name) != counts.end();
    columns.push_back({name, count ? Expr::Call("coalesce", {Expr::Column(name), Expr::Literal(arrow::MakeScalar(int64_t{0}))})
                                   : Expr::Column(name)});
  }
  PlanPtr out = std::make_shared<ProjectNode>(std::move(combined), std::move(columns));
  facts.schemas[out.get()] = facts.schemas.at(&aggregate);
  return out;
}

}  // namespace sabot
