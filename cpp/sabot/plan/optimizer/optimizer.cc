// OptimizePlan: one bottom-up pass that applies the rules at every node.
#include "sabot/plan/optimizer/optimizer.h"

#include <map>
#include <optional>

#include "sabot/plan/optimizer/filter_pushdown.h"
#include "sabot/plan/optimizer/join_build_side.h"
#include "sabot/plan/optimizer/semi_join_pushdown.h"

namespace sabot {

namespace {

class Optimizer {
 public:
  explicit Optimizer(const PlanFacts* facts) : facts_(facts) {
    if (facts_ != nullptr) estimates_.emplace(*facts_);
  }

  PlanPtr Rewrite(const PlanNode& node) {
    // Shared subtrees are rewritten once, so they stay shared.
    auto done = rewritten_.find(&node);
    if (done != rewritten_.end()) return done->second;
    std::vector<PlanPtr> inputs;
    for (const auto& input : node.inputs()) inputs.push_back(Rewrite(*input));
    PlanPtr out;
    if (node.kind() == PlanKind::kFilter) {
      out = PushDownFilter(static_cast<const FilterNode&>(node).predicate, inputs.front());
    } else if (node.kind() == PlanKind::kJoin) {
      const auto& join = static_cast<const JoinNode&>(node);
      const std::vector<PlanPtr> lifted = TakeColumnsAboveSemiJoin(join, inputs);
      out = estimates_ ? ChooseBuildSide(join, std::move(inputs), *facts_, *estimates_)
                       : WithInputs(join, std::move(inputs));
      out = ReapplyColumns(std::move(out), lifted);
    } else {
      out = WithInputs(node, std::move(inputs));
    }
    rewritten_[&node] = out;
    return out;
  }

 private:
  std::map<const PlanNode*, PlanPtr> rewritten_;  // also keeps what estimates_ saw alive
  const PlanFacts* facts_;
  std::optional<CardinalityEstimator> estimates_;
};

}  // namespace

PlanPtr OptimizePlan(const PlanNode& root, const PlanFacts* facts) { return Optimizer(facts).Rewrite(root); }

}  // namespace sabot
