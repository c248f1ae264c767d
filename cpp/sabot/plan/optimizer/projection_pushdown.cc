// Projection pushdown in two passes over the plan (a DAG: subplans may be shared):
// parents before children, each node's needed columns are derived from what its parents
// need of it; then the plan is rebuilt bottom-up with each file source reading only its
// needed columns. Nodes that change nothing are kept as they are, shared ones too.
#include "sabot/plan/optimizer/projection_pushdown.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <arrow/type.h>

namespace sabot {

namespace {

// The columns of a node's output that are used above it: all, or these names.
struct Need {
  bool all = false;
  std::set<std::string> names;

  static Need All() { return Need{true, {}}; }
  void Add(const std::string& name) {
    if (!all) names.insert(name);
  }
  void AddRefs(const Expr& expr) {
    for (const auto& name : expr.ColumnRefs()) Add(name);
  }
  void Merge(const Need& other) {
    if (all) return;
    if (other.all) {
      *this = All();
      return;
    }
    names.insert(other.names.begin(), other.names.end());
  }
  bool Has(const std::string& name) const { return all || names.count(name) > 0; }
};

using Schemas = std::map<const PlanNode*, std::shared_ptr<arrow::Schema>>;

// A join's output names: the left ones, then the right ones suffixed as
// ops/join_layout.h does it (until unique).
std::vector<std::string> JoinedNames(std::vector<std::string> names, const std::vector<std::string>& right,
                                     const std::string& suffix) {
  std::set<std::string> used(names.begin(), names.end());
  for (std::string name : right) {
    while (used.count(name) > 0) name += suffix;
    used.insert(name);
    names.push_back(std::move(name));
  }
  return names;
}

class Pushdown {
 public:
  explicit Pushdown(const Schemas& schemas) : schemas_(schemas) {}

  PlanPtr Run(const PlanPtr& root) {
    std::vector<const PlanNode*> order;  // children before parents
    std::set<const PlanNode*> seen;
    std::function<void(const PlanNode*)> visit = [&](const PlanNode* node) {
      if (!seen.insert(node).second) return;
      for (const auto& input : node->inputs()) {
        if (node->kind() == PlanKind::kUnion) under_union_.insert(input.get());
        // A join copies every column of its inputs; a subplan read twice may be held.
        if (node->kind() == PlanKind::kJoin || !parents_.insert(input.get()).second) copied_.insert(input.get());
      }
      for (const auto& input : node->inputs()) visit(input.get());
      order.push_back(node);
    };
    visit(root.get());
    needs_[root.get()] = Need::All();
    for (auto it = order.rbegin(); it != order.rend(); ++it) {  // every parent first
      const PlanNode* node = *it;
      const std::vector<Need> inputs = InputNeeds(*node, needs_[node]);
      for (size_t i = 0; i < inputs.size(); ++i) needs_[node->inputs()[i].get()].Merge(inputs[i]);
    }
    return Rebuild(root);
  }

 private:
  // The column names of `node`'s output, where known.
  std::optional<std::vector<std::string>> Names(const PlanNode& node) const {
    auto schema = schemas_.find(&node);
    if (schema != schemas_.end()) return schema->second->field_names();
    switch (node.kind()) {
      case PlanKind::kSource: {
        // A source an earlier rule remade (a type read differently: read_as) has the
        // column names of the one it replaced, which reads the same file and columns.
        const SourceSpec& spec = static_cast<const SourceNode&>(node).spec;
        for (const auto& [other, schema] : schemas_) {
          if (other->kind() != PlanKind::kSource) continue;
          const SourceSpec& same = static_cast<const SourceNode&>(*other).spec;
          if (same.kind == spec.kind && same.format == spec.format && same.path == spec.path &&
              same.columns == spec.columns) {
            return schema->field_names();
          }
        }
        return std::nullopt;
      }
      case PlanKind::kFilter:
      case PlanKind::kSort:
      case PlanKind::kTopK:
      case PlanKind::kLimit:
        return Names(*node.input());
      case PlanKind::kJoin: {
        // A join the optimizer added (a reduced build side, swapped inputs) has no schema
        // in the facts.
        if (IsChangelogJoin(node)) return std::nullopt;
        const JoinSpec& spec = static_cast<const JoinNode&>(node).spec;
        if (spec.output_columns) return *spec.output_columns;
        if (OutputsRightOnly(spec.type)) return Names(*node.inputs()[1]);
        auto left = Names(*node.inputs()[0]);
        if (!left || OutputsLeftOnly(spec.type)) return left;
        auto right = Names(*node.inputs()[1]);
        if (!right) return std::nullopt;
        return JoinedNames(*left, *right, spec.right_suffix);
      }
      case PlanKind::kProject: {
        std::vector<std::string> names;
        for (const auto& c : static_cast<const ProjectNode&>(node).columns) names.push_back(c.name);
        return names;
      }
      case PlanKind::kWithColumns: {
        auto names = Names(*node.input());
        if (!names) return std::nullopt;
        for (const auto& c : static_cast<const WithColumnsNode&>(node).columns) {
          if (std::find(names->begin(), names->end(), c.name) == names->end()) names->push_back(c.name);
        }
        return names;
      }
      default:
        return std::nullopt;
    }
  }

  // What `node` needs of each of its inputs when `need` of its output is used.
  std::vector<Need> InputNeeds(const PlanNode& node, const Need& need) const {
    const size_t n = node.inputs().size();
    std::vector<Need> all(n, Need::All());
    switch (node.kind()) {
      case PlanKind::kFilter: {
        Need in = need;
        in.AddRefs(static_cast<const FilterNode&>(node).predicate);
        return {in};
      }
      case PlanKind::kProject: {
        // Only what the columns used above read, where Trimmed cuts the projection to them
        // (a swapped join's projection restoring the column order names every column).
        const auto& columns = static_cast<const ProjectNode&>(node).columns;
        const bool cut = CutsProjection(node, need);
        Need in;
        for (const auto& c : columns) {
          if (!cut || need.Has(c.name)) in.AddRefs(c.expr);
        }
        return {in};
      }
      case PlanKind::kWithColumns: {
        if (need.all) return all;
        Need in = need;
        const auto& with = static_cast<const WithColumnsNode&>(node);
        for (const auto& c : with.columns) in.names.erase(c.name);
        for (const auto& c : with.columns) in.AddRefs(c.expr);
        return {in};
      }
      case PlanKind::kRename: {
        if (need.all) return all;
        Need in;
        const auto& renames = static_cast<const RenameNode&>(node).renames;
        for (const auto& name : need.names) {
          auto renamed = std::find_if(renames.begin(), renames.end(), [&](const auto& r) { return r.second == name; });
          in.Add(renamed == renames.end() ? name : renamed->first);
        }
        return {in};
      }
      case PlanKind::kSort: {
        Need in = need;
        for (const auto& key : static_cast<const SortNode&>(node).keys) in.Add(key.column);
        return {in};
      }
      case PlanKind::kTopK: {
        Need in = need;
        const auto& top = static_cast<const TopKNode&>(node);
        for (const auto& key : top.keys) in.Add(key.column);
        for (const auto& column : top.per) in.Add(column);
        return {in};
      }
      case PlanKind::kLimit:
        return {need};
      case PlanKind::kUnion:
        return std::vector<Need>(n, need);
      case PlanKind::kAggregate: {
        const auto& a = static_cast<const AggregateNode&>(node);
        return {Aggregated(a.keys, a.aggregates)};
      }
      case PlanKind::kJoin:
        return IsChangelogJoin(node) ? all : JoinNeeds(static_cast<const JoinNode&>(node), need);
      default:
        return all;  // a step whose use of columns is not known here
    }
  }

  // Whether Trimmed cuts projection `node` to the columns `need` names: not under a
  // union, no name twice, and some column used.
  bool CutsProjection(const PlanNode& node, const Need& need) const {
    if (need.all || under_union_.count(&node) > 0) return false;
    std::set<std::string> names;
    bool used = false;
    for (const auto& c : static_cast<const ProjectNode&>(node).columns) {
      if (!names.insert(c.name).second) return false;
      used |= need.Has(c.name);
    }
    return used;
  }

  static Need Aggregated(const std::vector<std::string>& keys, const std::vector<AggregateSpec>& aggregates) {
    Need in;
    for (const auto& key : keys) in.Add(key);
    for (const auto& a : aggregates) {
      if (!a.column.empty()) in.Add(a.column);
    }
    return in;
  }

  // A hash join's output: the left columns, then the right ones (a right name that
  // clashes with a left one gets the suffix); right semi/anti: the right ones only. A kept right column keeps the left column
  // of its name too, so its output name (suffixed) does not change.
  std::vector<Need> JoinNeeds(const JoinNode& join, const Need& need) const {
    auto left_names = Names(*join.inputs()[0]);
    auto right_names = Names(*join.inputs()[1]);
    if (need.all || !left_names || !right_names) return {Need::All(), Need::All()};
    const JoinSpec& spec = join.spec;
    const std::set<std::string> left(left_names->begin(), left_names->end());
    Need l, r;
    for (const auto& key : spec.left_keys) l.Add(key);
    for (const auto& key : spec.right_keys) r.Add(key);
    for (const auto& name : *left_names) {
      if (need.Has(name) && !OutputsRightOnly(spec.type)) l.Add(name);
    }
    auto keep_right = [&](const std::string& name) {
      r.Add(name);
      if (left.count(name) > 0) l.Add(name);
    };
    if (OutputsRightOnly(spec.type)) {
      // Output under their own names: no suffix to keep for them (the residual's below).
      for (const auto& name : *right_names) {
        if (need.Has(name)) r.Add(name);
      }
    } else if (!OutputsLeftOnly(spec.type)) {
      for (const auto& name : *right_names) {
        if (need.Has(left.count(name) > 0 ? name + spec.right_suffix : name)) keep_right(name);
      }
    }
    if (spec.residual) {
      // The residual names output columns: a left one, a right one, or a suffixed right one.
      for (const auto& ref : spec.residual->ColumnRefs()) {
        if (left.count(ref) > 0) l.Add(ref);
        for (const auto& name : *right_names) {
          if (name == ref || name + spec.right_suffix == ref) keep_right(name);
        }
      }
    }
    return {l, r};
  }

  PlanPtr Rebuild(const PlanPtr& node) {
    auto done = rebuilt_.find(node.get());
    if (done != rebuilt_.end()) return done->second;
    PlanPtr out = node;
    if (node->kind() == PlanKind::kSource) {
      out = Narrowed(static_cast<const SourceNode&>(*node)).value_or(node);
    } else {
      std::vector<PlanPtr> inputs;
      bool changed = false;
      for (const auto& input : node->inputs()) {
        inputs.push_back(Rebuild(input));
        changed |= inputs.back() != input;
      }
      if (changed) out = WithInputs(*node, std::move(inputs));
      out = Trimmed(*node, out).value_or(out);
      out = JoinOutputCut(*node, out).value_or(out);
    }
    rebuilt_[node.get()] = out;
    return out;
  }

  // A file source reading only its needed columns (in its own column order), when that
  // is fewer than it reads now.
  std::optional<PlanPtr> Narrowed(const SourceNode& source) const {
    if (source.spec.kind != SourceSpec::Kind::kFile) return std::nullopt;
    const Need& need = needs_.at(&source);
    auto names = Names(source);
    if (need.all || !names || names->empty()) return std::nullopt;
    std::vector<std::string> kept;
    for (const auto& name : *names) {
      if (need.Has(name)) kept.push_back(name);
    }
    // count(*) alone needs no column, but rows come in batches of some column.
    if (kept.empty()) kept.push_back(names->front());
    if (kept.size() == names->size()) return std::nullopt;
    SourceSpec spec = source.spec;
    // What an earlier rule asked to read as another type goes with its column (a source
    // refuses a read_as for a column it does not read).
    std::erase_if(spec.read_as, [&](const std::shared_ptr<arrow::Field>& field) {
      return std::find(kept.begin(), kept.end(), field->name()) == kept.end();
    });
    spec.columns = std::move(kept);
    return std::make_shared<SourceNode>(std::move(spec));
  }

  // A projection or with_columns (`node`, rebuilt as `out`) computing only the columns
  // used above it, or a filter under a projection to them: a column a with_columns reads and nothing above does (a near-unique
  // string a code is cut from) is otherwise carried through every filter, held subplan
  // and join above, each copying it. Not under a union, whose inputs must keep one schema.
  std::optional<PlanPtr> Trimmed(const PlanNode& node, const PlanPtr& out) const {
    const bool filter = node.kind() == PlanKind::kFilter;
    if (node.kind() != PlanKind::kProject && node.kind() != PlanKind::kWithColumns && !filter) return std::nullopt;
    const Need& need = needs_.at(&node);
    if (need.all || under_union_.count(&node) > 0) return std::nullopt;
    auto names = Names(node);
    if (!names) return std::nullopt;
    if (filter) {
      // The columns only its predicate reads are filtered still, but a projection over it
      // (no copy) keeps the joins and held subplans above from copying them again. Other
      // parents (a projection, an aggregate) pick their columns themselves.
      if (copied_.count(&node) == 0) return std::nullopt;
      std::vector<NamedExpr> kept;
      for (const auto& name : *names) {
        if (need.Has(name)) kept.push_back({name, Expr::Column(name)});
      }
      if (kept.empty() || kept.size() == names->size()) return std::nullopt;
      return std::make_shared<ProjectNode>(out, std::move(kept));
    }
    const std::vector<NamedExpr>& columns = node.kind() == PlanKind::kProject
                                                ? static_cast<const ProjectNode&>(*out).columns
                                                : static_cast<const WithColumnsNode&>(*out).columns;
    std::set<std::string> defined;
    for (const auto& c : columns) {
      if (!defined.insert(c.name).second) return std::nullopt;  // a name twice: left as written
    }
    std::vector<NamedExpr> kept;
    for (const auto& name : *names) {
      if (!need.Has(name)) continue;
      auto computed = std::find_if(columns.begin(), columns.end(), [&](const NamedExpr& c) { return c.name == name; });
      if (computed != columns.end()) {
        kept.push_back(*computed);
      } else if (node.kind() == PlanKind::kWithColumns) {
        kept.push_back({name, Expr::Column(name)});
      } else {
        return std::nullopt;  // a projection's names are its columns: not expected
      }
    }
    // Nothing used (count(*) above): rows still come in batches of some column.
    if (kept.empty() || kept.size() == names->size()) return std::nullopt;
    return std::make_shared<ProjectNode>(out->input(), std::move(kept));
  }

  // A hash join (`node`, rebuilt as `out`) emitting only the columns used above it: its
  // keys and the columns only its residual reads are matched on but not gathered for each
  // match (TPC-H Q9 gathered ps_partkey and o_orderkey from large build sides at random).
  std::optional<PlanPtr> JoinOutputCut(const PlanNode& node, const PlanPtr& out) const {
    if (node.kind() != PlanKind::kJoin || IsChangelogJoin(node)) return std::nullopt;
    const Need& need = needs_.at(&node);
    if (need.all || under_union_.count(&node) > 0) return std::nullopt;
    const auto& join = static_cast<const JoinNode&>(*out);
    auto names = Names(node);
    if (!names || join.spec.output_columns) return std::nullopt;
    std::vector<std::string> kept;
    for (const auto& name : *names) {
      if (need.Has(name)) kept.push_back(name);
    }
    // Nothing used (count(*) above): rows still come in batches of some column.
    if (kept.empty()) {
      kept.push_back(OutputsRightOnly(join.spec.type) ? join.spec.right_keys.front() : join.spec.left_keys.front());
    }
    if (kept.size() == names->size()) return std::nullopt;
    JoinSpec spec = join.spec;
    spec.output_columns = std::move(kept);
    return std::make_shared<JoinNode>(join.inputs()[0], join.inputs()[1], std::move(spec));
  }

  const Schemas& schemas_;
  std::set<const PlanNode*> under_union_;
  std::set<const PlanNode*> parents_;  // nodes some node reads, to find those read twice
  std::set<const PlanNode*> copied_;   // nodes a join reads, or more than one node
  std::map<const PlanNode*, Need> needs_;
  std::map<const PlanNode*, PlanPtr> rebuilt_;
};

}  // namespace

PlanPtr PushDownProjections(const PlanPtr& root, const Schemas& schemas) { return Pushdown(schemas).Run(root); }

}  // namespace sabot
