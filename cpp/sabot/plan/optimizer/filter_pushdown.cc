// Filter pushdown through WithColumns, Rename and Project.
#include "sabot/plan/optimizer/filter_pushdown.h"

#include <map>
#include <set>
#include <string>

namespace sabot {

namespace {

// `e` with every column reference named in `names` replaced by the column it maps to.
Expr RenameColumns(const Expr& e, const std::map<std::string, std::string>& names) {
  switch (e.kind()) {
    case Expr::Kind::kColumn: {
      auto it = names.find(e.column_name());
      return it == names.end() ? e : Expr::Column(it->second);
    }
    case Expr::Kind::kLiteral:
      return e;
    case Expr::Kind::kCall: {
      std::vector<Expr> args;
      for (const auto& arg : e.args()) args.push_back(RenameColumns(arg, names));
      return Expr::Call(e.function(), std::move(args), e.options());
    }
  }
  return e;
}

PlanPtr FilterOver(const std::vector<Expr>& conjuncts, PlanPtr input) {
  if (conjuncts.empty()) return input;
  return std::make_shared<FilterNode>(std::move(input), AndAll(conjuncts));
}

// What a projection-like node lets through: for each output column it passes unchanged
// from its input, the input column's name; the columns it computes are absent. Columns
// a node does not mention pass under their own names when `others_pass` is set.
struct PassThrough {
  std::map<std::string, std::string> names;
  std::set<std::string> computed;
  bool others_pass = false;
};

PassThrough PassThroughOf(const PlanNode& node) {
  PassThrough pass;
  switch (node.kind()) {
    case PlanKind::kWithColumns:
      pass.others_pass = true;
      for (const auto& c : static_cast<const WithColumnsNode&>(node).columns) pass.computed.insert(c.name);
      break;
    case PlanKind::kRename:
      pass.others_pass = true;
      for (const auto& [from, to] : static_cast<const RenameNode&>(node).renames) {
        pass.names[to] = from;
        // The old name no longer exists above (unless another column is renamed onto it).
        if (pass.names.count(from) == 0) pass.computed.insert(from);
      }
      for (const auto& [from, to] : static_cast<const RenameNode&>(node).renames) pass.computed.erase(to);
      break;
    case PlanKind::kProject:
      for (const auto& c : static_cast<const ProjectNode&>(node).columns) {
        if (c.expr.kind() == Expr::Kind::kColumn) {
          pass.names[c.name] = c.expr.column_name();
        } else {
          pass.computed.insert(c.name);
        }
      }
      break;
    default:
      break;
  }
  return pass;
}

bool CanPass(const Expr& conjunct, const PassThrough& pass) {
  for (const auto& name : conjunct.ColumnRefs()) {
    if (pass.computed.count(name) > 0) return false;
    if (pass.names.count(name) == 0 && !pass.others_pass) return false;
  }
  return true;
}

}  // namespace

PlanPtr PushDownFilter(const Expr& predicate, const PlanPtr& input) {
  const PlanKind kind = input->kind();
  if (kind != PlanKind::kWithColumns && kind != PlanKind::kRename && kind != PlanKind::kProject) {
    return std::make_shared<FilterNode>(input, predicate);
  }
  const PassThrough pass = PassThroughOf(*input);
  std::vector<Expr> below, above;
  for (const auto& c : Conjuncts(predicate)) {
    if (CanPass(c, pass)) {
      below.push_back(RenameColumns(c, pass.names));
    } else {
      above.push_back(c);
    }
  }
  if (below.empty()) return std::make_shared<FilterNode>(input, predicate);
  PlanPtr pushed = WithInputs(*input, {PushDownFilter(AndAll(below), input->input())});
  return FilterOver(above, std::move(pushed));
}

}  // namespace sabot
