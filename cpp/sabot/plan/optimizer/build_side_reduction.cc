// ReduceBuildSidesByKeys: a join's right input, as a semi join, on the build sides below
// its left input that its keys come from.
#include "sabot/plan/optimizer/build_side_reduction.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>

#include <arrow/type.h>

namespace sabot {

namespace {

// As in the other reductions (aggregate_reduction.cc, join_build_side.cc): estimates are
// rough, so only a clearly filtered right input and a clearly larger build side count.
constexpr double kReduceRatio = 4.0;
constexpr double kSelectiveRight = 0.5;

class Reduction {
 public:
  Reduction(PlanFacts& facts, CardinalityEstimator& estimates, const std::function<bool(const PlanNode&)>& shared,
            std::vector<PlanPtr>& made)
      : facts_(facts), estimates_(estimates), shared_(shared), made_(made) {}

  //! Counts how often each node under `inputs` is an input of another one there.
  void CountReaders(const std::vector<PlanPtr>& inputs) {
    for (const auto& input : inputs) {
      if (readers_[input.get()]++ == 0) CountReaders(input->inputs());
    }
  }

  //! `left`, the left input of a join on `spec` over `right`, with the build sides its
  //! keys come from reduced by `right` where that pays.
  PlanPtr ReduceLeft(const JoinSpec& spec, const PlanPtr& left, const PlanPtr& right) {
    const auto rows = estimates_.Rows(*right);
    const auto base = estimates_.BaseRows(*right);
    if (!rows || !base || *rows > kSelectiveRight * *base) return left;
    PlanPtr out = left;
    for (size_t k = 0; k < spec.left_keys.size(); ++k) {
      if (auto reduced = Below(out, spec.left_keys[k], right, spec.right_keys[k])) out = std::move(*reduced);
    }
    return out;
  }

 private:
  // `node` with the build side its column `key` comes from semi-joined on `key` =
  // `right_key` of `right`; nullopt when there is none or it does not pay.
  std::optional<PlanPtr> Below(const PlanPtr& node, const std::string& key, const PlanPtr& right,
                               const std::string& right_key) {
    if (readers_[node.get()] > 1 || shared_(*node)) return std::nullopt;
    switch (node->kind()) {
      case PlanKind::kFilter:
        return Over(*node, Below(node->input(), key, right, right_key));
      case PlanKind::kProject: {
        // Followed only where the projection passes the column on as it is.
        for (const auto& c : static_cast<const ProjectNode&>(*node).columns) {
          if (c.name != key) continue;
          if (c.expr.kind() != Expr::Kind::kColumn) return std::nullopt;
          return Over(*node, Below(node->input(), c.expr.column_name(), right, right_key));
        }
        return std::nullopt;
      }
      case PlanKind::kWithColumns:
        for (const auto& c : static_cast<const WithColumnsNode&>(*node).columns) {
          if (c.name == key) return std::nullopt;  // computed here, not taken from below
        }
        return Over(*node, Below(node->input(), key, right, right_key));
      case PlanKind::kJoin:
        return IsChangelogJoin(*node) ? std::nullopt : BelowJoin(static_cast<const JoinNode&>(*node), key, right, right_key);
      default:
        return std::nullopt;
    }
  }

  std::optional<PlanPtr> BelowJoin(const JoinNode& join, const std::string& key, const PlanPtr& right,
                                   const std::string& right_key) {
    const JoinType type = join.spec.type;
    const PlanPtr& left_input = join.inputs()[0];
    const PlanPtr& build = join.inputs()[1];
    if (HasColumn(*left_input, key)) {
      // The join emits left rows (or pairs) with `key` as they came: fewer left rows,
      // fewer output rows, each the same.
      if (type != JoinType::kInner && type != JoinType::kSemi && type != JoinType::kLeft) return std::nullopt;
      return Over(join, Below(left_input, key, right, right_key), 0);
    }
    // A right column named `key` in the output: not one suffixed to it.
    const std::string& suffix = join.spec.right_suffix;
    const bool suffixed = !suffix.empty() && key.size() > suffix.size() &&
                          key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0 &&
                          HasColumn(*left_input, key.substr(0, key.size() - suffix.size()));
    if (type != JoinType::kInner || suffixed || !HasColumn(*build, key)) return std::nullopt;
    if (readers_[build.get()] > 1 || shared_(*build)) return std::nullopt;
    const auto build_rows = estimates_.Rows(*build);
    const auto right_rows = estimates_.Rows(*right);
    if (!build_rows || !right_rows || *build_rows <= kReduceRatio * *right_rows) return std::nullopt;
    JoinSpec semi;
    semi.type = JoinType::kSemi;
    semi.left_keys = {key};
    semi.right_keys = {right_key};
    auto right_keys = Made(std::make_shared<ProjectNode>(right, std::vector<NamedExpr>{{right_key, Expr::Column(right_key)}}));
    PlanPtr reduced = Made(std::make_shared<JoinNode>(build, std::move(right_keys), std::move(semi)));
    CopySchema(*build, *reduced);
    // The join keeps fewer rows now: its own keys reduce what is under its left input.
    PlanPtr left = ReduceLeft(join.spec, left_input, reduced);
    PlanPtr out = Made(WithInputs(join, {std::move(left), std::move(reduced)}));
    CopySchema(join, *out);
    return out;
  }

  // `node` over `input` in place of its input `index`, when there is one.
  std::optional<PlanPtr> Over(const PlanNode& node, std::optional<PlanPtr> input, size_t index = 0) {
    if (!input) return std::nullopt;
    std::vector<PlanPtr> inputs = node.inputs();
    inputs[index] = std::move(*input);
    PlanPtr out = Made(WithInputs(node, std::move(inputs)));
    CopySchema(node, *out);
    return out;
  }

  // Whether `node`'s output has a column `name` (false where that is not known).
  bool HasColumn(const PlanNode& node, const std::string& name) const {
    auto schema = facts_.schemas.find(&node);
    if (schema != facts_.schemas.end()) return schema->second->GetFieldIndex(name) >= 0;
    switch (node.kind()) {
      case PlanKind::kFilter:
        return HasColumn(*node.input(), name);
      case PlanKind::kProject: {
        const auto& columns = static_cast<const ProjectNode&>(node).columns;
        return std::any_of(columns.begin(), columns.end(), [&](const NamedExpr& c) { return c.name == name; });
      }
      case PlanKind::kJoin: {
        // A semi join the rules added: its left input's columns (a right semi join: its
        // right input's).
        if (IsChangelogJoin(node)) return false;
        const JoinType type = static_cast<const JoinNode&>(node).spec.type;
        if (OutputsLeftOnly(type)) return HasColumn(*node.inputs()[0], name);
        return OutputsRightOnly(type) && HasColumn(*node.inputs()[1], name);
      }
      default:
        return false;
    }
  }

  PlanPtr Made(PlanPtr node) {
    made_.push_back(node);
    return node;
  }

  void CopySchema(const PlanNode& from, const PlanNode& to) {
    auto schema = facts_.schemas.find(&from);
    if (schema != facts_.schemas.end()) facts_.schemas[&to] = schema->second;
  }

  PlanFacts& facts_;
  CardinalityEstimator& estimates_;
  const std::function<bool(const PlanNode&)>& shared_;
  std::vector<PlanPtr>& made_;
  std::map<const PlanNode*, int> readers_;
};

}  // namespace

std::vector<PlanPtr> ReduceBuildSidesByKeys(const JoinNode& join, std::vector<PlanPtr> inputs, PlanFacts& facts,
                                            CardinalityEstimator& estimates,
                                            const std::function<bool(const PlanNode&)>& shared,
                                            std::vector<PlanPtr>& made) {
  const JoinType type = join.spec.type;
  if (IsChangelogJoin(join) || (type != JoinType::kInner && type != JoinType::kSemi)) return inputs;
  Reduction reduction(facts, estimates, shared, made);
  reduction.CountReaders(inputs);
  inputs[0] = reduction.ReduceLeft(join.spec, inputs[0], inputs[1]);
  return inputs;
}

}  // namespace sabot
