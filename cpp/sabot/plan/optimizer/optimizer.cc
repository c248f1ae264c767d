// OptimizePlan: one bottom-up pass that applies the rules at every node.
#include "sabot/plan/optimizer/optimizer.h"

#include <map>
#include <optional>
#include <vector>

#include "sabot/plan/optimizer/aggregate_pushdown.h"
#include "sabot/plan/optimizer/aggregate_reduction.h"
#include "sabot/plan/optimizer/build_side_reduction.h"
#include "sabot/plan/optimizer/cast_at_source.h"
#include "sabot/plan/optimizer/filter_pushdown.h"
#include "sabot/plan/optimizer/filtering_join_order.h"
#include "sabot/plan/optimizer/join_build_side.h"
#include "sabot/plan/optimizer/join_filter_pushdown.h"
#include "sabot/plan/optimizer/lookup_join_order.h"
#include "sabot/plan/optimizer/projection_pushdown.h"
#include "sabot/plan/optimizer/semi_join_pushdown.h"

namespace sabot {

namespace {

class Optimizer {
 public:
  explicit Optimizer(const PlanFacts* facts) {
    if (facts != nullptr) {
      facts_ = *facts;  // a copy: the nodes the rules add get their schemas too
      estimates_.emplace(*facts_);
    }
  }

  PlanPtr Rewrite(const PlanNode& node) {
    // Shared subtrees are rewritten once, so they stay shared.
    auto done = rewritten_.find(&node);
    if (done != rewritten_.end()) return done->second;
    if (node.kind() == PlanKind::kFilter && facts_ && node.input()->kind() == PlanKind::kJoin &&
        !IsChangelogJoin(*node.input())) {
      if (auto into_join = IntoJoin(static_cast<const FilterNode&>(node))) {
        rewritten_[&node] = *into_join;
        return *into_join;
      }
    }
    std::vector<PlanPtr> inputs;
    for (const auto& input : node.inputs()) inputs.push_back(Rewrite(*input));
    PlanPtr out;
    if (node.kind() == PlanKind::kFilter) {
      out = PushDownFilter(static_cast<const FilterNode&>(node).predicate, inputs.front());
    } else if (node.kind() == PlanKind::kJoin) {
      const auto& join = static_cast<const JoinNode&>(node);
      const std::vector<PlanPtr> lifted = TakeColumnsAboveSemiJoin(join, inputs);
      if (facts_) {
        inputs = ReduceAggregatesByJoin(join, std::move(inputs), *facts_, *estimates_,
                                        [&](PlanPtr made) { return RewriteMadeJoin(std::move(made)); });
        auto shared = [&](const PlanNode& rewritten) { return ReadTwice(rewritten); };
        inputs = ReduceBuildSidesByKeys(join, std::move(inputs), *facts_, *estimates_, shared, added_);
      }
      if (facts_ && lifted.empty() && MayReorderBelow(readers_[node.inputs()[0].get()] != 1, inputs)) {
        if (auto reordered = InnerJoinBelowFilteringJoin(join, inputs, *facts_, *estimates_, choose_)) {
          rewritten_[&node] = *reordered;
          return *reordered;
        }
        if (auto reordered = ReducingJoinBelowLookupJoin(join, inputs, *facts_, *estimates_, choose_)) {
          rewritten_[&node] = *reordered;
          return *reordered;
        }
      }
      // A changelog join's output starts with its op column: no side swap around it.
      out = facts_ && !IsChangelogJoin(join) ? ChooseBuildSide(join, std::move(inputs), *facts_, *estimates_)
                       : WithInputs(join, std::move(inputs));
      out = ReapplyColumns(std::move(out), lifted);
    } else if (node.kind() == PlanKind::kAggregate && facts_) {
      const auto& aggregate = static_cast<const AggregateNode&>(node);
      auto split = AggregateBelowJoin(aggregate, inputs.front(), *facts_, *estimates_, choose_);
      out = split ? *split : WithInputs(node, std::move(inputs));
    } else if (node.kind() == PlanKind::kWithColumns && facts_) {
      out = ReadCastsAtSource(static_cast<const WithColumnsNode&>(node), inputs.front(), facts_->read_types);
    } else {
      out = WithInputs(node, std::move(inputs));
    }
    // A source copied over keeps what it reads natively, which the rules above it look up.
    if (node.kind() == PlanKind::kSource && facts_) {
      if (auto native = facts_->read_types.find(&node); native != facts_->read_types.end()) {
        facts_->read_types[out.get()] = native->second;
      }
    }
    rewritten_[&node] = out;
    // Every rule keeps a node's output schema, so the rewritten node has the same one:
    // later rules look schemas up by the nodes they see.
    if (facts_) {
      auto schema = facts_->schemas.find(&node);
      if (schema != facts_->schemas.end()) facts_->schemas.emplace(out.get(), schema->second);
    }
    return out;
  }

  //! Counts, for each node under `root` as written, how many inputs of other nodes it is.
  void CountReaders(const PlanNode& root) {
    for (const auto& input : root.inputs()) {
      if (readers_[input.get()]++ == 0) CountReaders(*input);
    }
  }

  //! Whether the join rules may move a join over `inputs` below its left input's top
  //! join. Where other nodes read that input too (`left_shared`), it is then computed anew
  //! for the join, while its other readers hold it (held, it costs
  //! the memory and the gathering of every row it keeps). Worth it where the input keeps
  //! much of what it reads (a sixteenth or more) and `join`'s right side a sliver of its
  //! table (a sixty-fourth or less): TPC-H Q2 joins the 1.6M offers of European suppliers
  //! (with every supplier column) to the 8K parts it asks about and reads the offers again
  //! for the cheapest price; held, they took 0.5 s of its 0.7 (SF10, 2 threads), joined
  //! to the parts first they are 31K rows. Q17's semi-joined lineitems (a thousandth of
  //! lineitem), which feed an aggregate as well, stay held: computed again they would cost
  //! a second scan of lineitem.
  bool MayReorderBelow(bool left_shared, const std::vector<PlanPtr>& inputs) {
    if (!left_shared) return true;
    auto kept = [&](const PlanNode& side) -> std::optional<double> {
      const auto rows = estimates_->Rows(side);
      const auto base = estimates_->BaseRows(side);
      if (!rows || !base || *base <= 0) return std::nullopt;
      return *rows / *base;
    };
    const auto shared_kept = kept(*inputs[0]);
    const auto reducer_kept = kept(*inputs[1]);
    return shared_kept && reducer_kept && *shared_kept >= kLargeShare && *reducer_kept <= kSliver;
  }
  static constexpr double kLargeShare = 1.0 / 16;
  static constexpr double kSliver = 1.0 / 64;

  //! A join a rule made over rewritten inputs (with its schema in facts_), through the
  //! join rules that may apply to it: moved below a lookup join, its build side chosen.
  //! Kept alive, as the estimates remember it.
  PlanPtr RewriteMadeJoin(PlanPtr made) {
    added_.push_back(made);
    const auto& join = static_cast<const JoinNode&>(*made);
    std::vector<PlanPtr> inputs = made->inputs();
    if (MayReorderBelow(ReadTwice(*inputs[0]), inputs)) {
      if (auto reordered = ReducingJoinBelowLookupJoin(join, inputs, *facts_, *estimates_, choose_)) return *reordered;
    }
    return choose_(join, std::move(inputs));
  }

  //! Whether `rewritten` stands for a node that several nodes of the plan as written read.
  bool ReadTwice(const PlanNode& rewritten) const {
    for (const auto& [node, readers] : readers_) {
      if (readers < 2) continue;
      auto done = rewritten_.find(node);
      if (done != rewritten_.end() && done->second.get() == &rewritten) return true;
    }
    return false;
  }

  //! The last rule, over the whole rewritten plan: sources read only what is used.
  PlanPtr NarrowSources(const PlanPtr& root) const {
    return facts_ ? PushDownProjections(root, facts_->schemas) : root;
  }

 private:
  // A filter over a join, pushed into the join's inputs (join_filter_pushdown.h); the
  // join is then rewritten as written with those filters. The filter is rewritten here
  // at once, not again through Rewrite, since what stays above would push the same
  // implied tests again.
  std::optional<PlanPtr> IntoJoin(const FilterNode& filter) {
    const PlanNode& join = *filter.input();
    auto left = facts_->schemas.find(join.inputs()[0].get());
    auto right = facts_->schemas.find(join.inputs()[1].get());
    auto whole = facts_->schemas.find(&join);
    if (left == facts_->schemas.end() || right == facts_->schemas.end() || whole == facts_->schemas.end()) {
      return std::nullopt;
    }
    auto pushed = PushFilterIntoJoin(filter, static_cast<const JoinNode&>(join), *left->second, *right->second);
    if (!pushed) return std::nullopt;
    // The new filters keep their inputs' schemas, the new join the old one's.
    for (int side = 0; side < 2; ++side) {
      const PlanNode* input = pushed->join->inputs()[side].get();
      if (input != join.inputs()[side].get()) facts_->schemas[input] = (side == 0 ? left : right)->second;
    }
    facts_->schemas[pushed->join.get()] = whole->second;
    added_.push_back(pushed->join);
    PlanPtr out = Rewrite(*pushed->join);
    return pushed->above ? PushDownFilter(*pushed->above, out) : out;
  }

  std::map<const PlanNode*, PlanPtr> rewritten_;  // also keeps what estimates_ saw alive
  std::map<const PlanNode*, int> readers_;        // of the plan as written, see CountReaders
  std::vector<PlanPtr> added_;                    // nodes the rules made, kept alive likewise
  std::optional<PlanFacts> facts_;
  std::optional<CardinalityEstimator> estimates_;
  // The build side of a join the rules make (they take it as a JoinBuilder).
  const JoinBuilder choose_ = [this](const JoinNode& join, std::vector<PlanPtr> inputs) {
    return ChooseBuildSide(join, std::move(inputs), *facts_, *estimates_);
  };
};

}  // namespace

PlanPtr OptimizePlan(const PlanNode& root, const PlanFacts* facts) {
  Optimizer optimizer(facts);
  optimizer.CountReaders(root);
  return optimizer.NarrowSources(optimizer.Rewrite(root));
}

}  // namespace sabot
