// Filter pushdown into joins, with tests implied by ORs of ANDs.
#include "sabot/plan/optimizer/join_filter_pushdown.h"

#include <algorithm>

#include <arrow/type.h>

namespace sabot {

namespace {

bool IsOr(const Expr& e) { return e.kind() == Expr::Kind::kCall && e.function() == "or_kleene" && e.args().size() == 2; }

// The operands of `e`'s top-level ORs.
void Disjuncts(const Expr& e, std::vector<Expr>* out) {
  if (IsOr(e)) {
    Disjuncts(e.args()[0], out);
    Disjuncts(e.args()[1], out);
  } else {
    out->push_back(e);
  }
}

Expr OrAll(const std::vector<Expr>& disjuncts) {
  Expr out = disjuncts.front();
  for (size_t i = 1; i < disjuncts.size(); ++i) out = Expr::Call("or_kleene", {out, disjuncts[i]});
  return out;
}

}  // namespace

std::optional<JoinFilterPushdown> PushFilterIntoJoin(const FilterNode& filter, const JoinNode& join,
                                                     const arrow::Schema& left, const arrow::Schema& right) {
  const JoinType type = join.spec.type;
  if (KeepsUnmatchedRight(type)) return std::nullopt;
  // The side a set of columns belongs to: 0 left, 1 right (inner joins only), -1 neither.
  // Right semi and right anti joins output the right columns under their own names, so a
  // filter over them keeps or drops right rows, and goes below to the right input.
  auto side_of = [&](const std::vector<std::string>& refs) {
    if (refs.empty()) return -1;
    if (OutputsRightOnly(type)) {
      const bool all_right = std::all_of(refs.begin(), refs.end(), [&](const std::string& name) {
        return right.GetAllFieldIndices(name).size() == 1;
      });
      return all_right ? 1 : -1;
    }
    bool all_left = true, all_right = type == JoinType::kInner;
    for (const auto& name : refs) {
      // A name the left has twice is ambiguous: it belongs to neither side.
      const auto in_left = left.GetAllFieldIndices(name).size();
      all_left &= in_left == 1;
      all_right &= in_left == 0 && right.GetFieldIndex(name) >= 0;
    }
    return all_left ? 0 : all_right ? 1 : -1;
  };
  std::vector<Expr> pushed[2], above;
  for (const auto& conjunct : Conjuncts(filter.predicate)) {
    const int side = side_of(conjunct.ColumnRefs());
    if (side >= 0) {
      pushed[side].push_back(conjunct);
      continue;
    }
    above.push_back(conjunct);
    if (!IsOr(conjunct)) continue;
    std::vector<Expr> disjuncts;
    Disjuncts(conjunct, &disjuncts);
    for (int s = 0; s < 2; ++s) {
      std::vector<Expr> implied;  // per disjunct, the AND of its tests on side s
      for (const auto& d : disjuncts) {
        std::vector<Expr> tests;
        for (const auto& c : Conjuncts(d)) {
          if (side_of(c.ColumnRefs()) == s) tests.push_back(c);
        }
        if (tests.empty()) break;
        implied.push_back(AndAll(tests));
      }
      if (implied.size() == disjuncts.size()) pushed[s].push_back(OrAll(implied));
    }
  }
  if (pushed[0].empty() && pushed[1].empty()) return std::nullopt;
  std::vector<PlanPtr> inputs = join.inputs();
  for (int s = 0; s < 2; ++s) {
    if (!pushed[s].empty()) inputs[s] = std::make_shared<FilterNode>(inputs[s], AndAll(pushed[s]));
  }
  JoinFilterPushdown out;
  out.join = WithInputs(join, std::move(inputs));
  if (!above.empty()) out.above = AndAll(above);
  return out;
}

}  // namespace sabot
