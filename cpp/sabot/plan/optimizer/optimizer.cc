// OptimizePlan: one bottom-up pass that applies the rules at every node.
#include "sabot/plan/optimizer/optimizer.h"

#include <map>

#include "sabot/plan/optimizer/filter_pushdown.h"

namespace sabot {

namespace {

class Optimizer {
 public:
  PlanPtr Rewrite(const PlanNode& node) {
    // Shared subtrees are rewritten once, so they stay shared.
    auto done = rewritten_.find(&node);
    if (done != rewritten_.end()) return done->second;
    std::vector<PlanPtr> inputs;
    for (const auto& input : node.inputs()) inputs.push_back(Rewrite(*input));
    PlanPtr out = node.kind() == PlanKind::kFilter
                      ? PushDownFilter(static_cast<const FilterNode&>(node).predicate, inputs.front())
                      : WithInputs(node, std::move(inputs));
    rewritten_[&node] = out;
    return out;
  }

 private:
  std::map<const PlanNode*, PlanPtr> rewritten_;
};

}  // namespace

PlanPtr OptimizePlan(const PlanNode& root) { return Optimizer().Rewrite(root); }

}  // namespace sabot
