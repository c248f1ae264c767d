// Semi/anti join pushdown below WithColumns.
#include "sabot/plan/optimizer/semi_join_pushdown.h"

#include <algorithm>

namespace sabot {

std::vector<PlanPtr> TakeColumnsAboveSemiJoin(const JoinNode& join, std::vector<PlanPtr>& inputs) {
  std::vector<PlanPtr> taken;
  if (!OutputsLeftOnly(join.spec.type) || join.spec.residual.has_value()) return taken;
  while (inputs[0]->kind() == PlanKind::kWithColumns) {
    const auto& columns = static_cast<const WithColumnsNode&>(*inputs[0]).columns;
    const bool reads_computed = std::any_of(columns.begin(), columns.end(), [&](const NamedExpr& c) {
      const auto& keys = join.spec.left_keys;
      return std::find(keys.begin(), keys.end(), c.name) != keys.end();
    });
    if (reads_computed) break;
    taken.push_back(inputs[0]);
    inputs[0] = inputs[0]->input();
  }
  return taken;
}

PlanPtr ReapplyColumns(PlanPtr plan, const std::vector<PlanPtr>& taken) {
  for (auto it = taken.rbegin(); it != taken.rend(); ++it) plan = WithInputs(**it, {std::move(plan)});
  return plan;
}

}  // namespace sabot
