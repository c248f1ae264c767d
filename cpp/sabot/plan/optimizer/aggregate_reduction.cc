// ReduceAggregatesByJoin: a semi join below an aggregate, on the keys a join matches.
#include "sabot/plan/optimizer/aggregate_reduction.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>

#include <arrow/type.h>

namespace sabot {

namespace {

// As in the build-side rules (join_build_side.cc): estimates are rough, so only a clear
// difference in size, and a clearly filtered other input, are worth a rewrite.
constexpr double kReduceRatio = 4.0;
constexpr double kSelectiveOther = 0.5;

void CopySchema(const PlanNode& from, const PlanNode& to, PlanFacts& facts) {
  auto schema = facts.schemas.find(&from);
  if (schema != facts.schemas.end()) facts.schemas[&to] = schema->second;
}

// `side` (renames over a bounded aggregate) with the aggregate's input semi-joined on the
// group keys among `keys` (names of `side`'s output) with `other_keys` of `other`.
std::optional<PlanPtr> Reduced(const PlanPtr& side, const std::vector<std::string>& keys, const PlanPtr& other,
                               const std::vector<std::string>& other_keys, PlanFacts& facts,
                               const std::function<PlanPtr(PlanPtr join)>& rewrite) {
  std::vector<const RenameNode*> renames;  // top first
  const PlanNode* at = side.get();
  for (; at->kind() == PlanKind::kRename; at = at->input().get()) renames.push_back(static_cast<const RenameNode*>(at));
  if (at->kind() != PlanKind::kAggregate || !IsBounded(*at)) return std::nullopt;
  const auto& aggregate = static_cast<const AggregateNode&>(*at);
  JoinSpec semi;
  semi.type = JoinType::kSemi;
  std::vector<NamedExpr> other_columns;
  std::set<std::string> taken;
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string name = keys[i];
    bool known = true;
    for (const RenameNode* rename : renames) {
      auto to = std::find_if(rename->renames.begin(), rename->renames.end(), [&](const auto& r) { return r.second == name; });
      if (to != rename->renames.end()) {
        name = to->first;
      } else if (std::any_of(rename->renames.begin(), rename->renames.end(), [&](const auto& r) { return r.first == name; })) {
        known = false;  // renamed away: `name` is not that column
      }
    }
    if (!known || std::find(aggregate.keys.begin(), aggregate.keys.end(), name) == aggregate.keys.end()) continue;
    if (!taken.insert(other_keys[i]).second) continue;
    semi.left_keys.push_back(name);
    semi.right_keys.push_back(other_keys[i]);
    other_columns.push_back({other_keys[i], Expr::Column(other_keys[i])});
  }
  if (semi.left_keys.empty()) return std::nullopt;
  auto other_schema = facts.schemas.find(other.get());
  if (other_schema == facts.schemas.end()) return std::nullopt;
  arrow::FieldVector key_fields;
  for (const auto& column : other_columns) {
    auto field = other_schema->second->GetFieldByName(column.name);
    if (field == nullptr) return std::nullopt;
    key_fields.push_back(std::move(field));
  }
  PlanPtr keys_of_other = std::make_shared<ProjectNode>(other, std::move(other_columns));
  facts.schemas[keys_of_other.get()] = arrow::schema(std::move(key_fields));
  PlanPtr made = std::make_shared<JoinNode>(aggregate.input(), std::move(keys_of_other), std::move(semi));
  CopySchema(*aggregate.input(), *made, facts);
  PlanPtr input = rewrite(std::move(made));
  CopySchema(*aggregate.input(), *input, facts);
  PlanPtr out = WithInputs(aggregate, {std::move(input)});
  CopySchema(aggregate, *out, facts);
  for (auto it = renames.rbegin(); it != renames.rend(); ++it) {
    PlanPtr renamed = WithInputs(**it, {out});
    CopySchema(**it, *renamed, facts);
    out = std::move(renamed);
  }
  return out;
}

}  // namespace

std::vector<PlanPtr> ReduceAggregatesByJoin(const JoinNode& join, std::vector<PlanPtr> inputs, PlanFacts& facts,
                                            CardinalityEstimator& estimates,
                                            const std::function<PlanPtr(PlanPtr join)>& rewrite) {
  if (IsChangelogJoin(join)) return inputs;
  const JoinType type = join.spec.type;
  // A side may be reduced to the other's keys where its rows without an equal key on the
  // other side are dropped by the join: not the left of left, full and anti joins, nor the
  // right of right, full and right anti joins.
  const bool reduces[2] = {
      type == JoinType::kInner || type == JoinType::kSemi || OutputsRightOnly(type),
      !KeepsUnmatchedRight(type) && type != JoinType::kRightAnti};
  for (int side = 0; side < 2; ++side) {
    if (!reduces[side]) continue;
    const PlanPtr& other = inputs[1 - side];
    const auto rows = estimates.Rows(*inputs[side]);
    const auto other_rows = estimates.Rows(*other);
    const auto other_base = estimates.BaseRows(*other);
    if (!rows || !other_rows || !other_base) continue;
    if (*rows <= kReduceRatio * *other_rows || *other_rows > kSelectiveOther * *other_base) continue;
    const auto& keys = side == 0 ? join.spec.left_keys : join.spec.right_keys;
    const auto& other_keys = side == 0 ? join.spec.right_keys : join.spec.left_keys;
    if (auto reduced = Reduced(inputs[side], keys, other, other_keys, facts, rewrite)) inputs[side] = std::move(*reduced);
  }
  return inputs;
}

}  // namespace sabot
