// Describing plan nodes, copying them over new inputs, and explaining plans.
#include "sabot/plan/plan_node.h"

#include <arrow/type.h>

#include "sabot/common/type_names.h"

namespace sabot {

std::string_view ToString(PlanKind kind) {
  switch (kind) {
    case PlanKind::kSource: return "Source";
    case PlanKind::kFilter: return "Filter";
    case PlanKind::kProject: return "Project";
    case PlanKind::kWithColumns: return "WithColumns";
    case PlanKind::kRename: return "Rename";
    case PlanKind::kUnion: return "Union";
    case PlanKind::kLimit: return "Limit";
    case PlanKind::kExplode: return "Explode";
    case PlanKind::kMapBatches: return "MapBatches";
    case PlanKind::kJoin: return "Join";
    case PlanKind::kAggregate: return "Aggregate";
    case PlanKind::kWindowAggregate: return "WindowAggregate";
    case PlanKind::kSort: return "Sort";
    case PlanKind::kTopK: return "TopK";
    case PlanKind::kDistinct: return "Distinct";
    case PlanKind::kSink: return "Sink";
    case PlanKind::kIntervalJoin: return "IntervalJoin";
    case PlanKind::kAsofJoin: return "AsofJoin";
    case PlanKind::kWindowJoin: return "WindowJoin";
    case PlanKind::kTemporalJoin: return "TemporalJoin";
    case PlanKind::kLateRows: return "LateRows";
    case PlanKind::kChangelogAggregate: return "ChangelogAggregate";
    case PlanKind::kKeyedProcess: return "KeyedProcess";
    case PlanKind::kRowsWindow: return "RowsWindow";
  }
  return "?";
}

namespace {

std::string DescribeNamedExprs(const std::vector<NamedExpr>& columns) {
  std::vector<std::string> parts;
  for (const auto& c : columns) {
    bool plain = c.expr.kind() == Expr::Kind::kColumn && c.expr.column_name() == c.name;
    parts.push_back(plain ? c.name : c.name + " := " + c.expr.ToString());
  }
  return JoinNames(parts);
}

void ExplainInto(const PlanNode& node, int depth, std::string* out) {
  out->append(static_cast<size_t>(depth) * 2, ' ');
  out->append(node.Describe());
  out->push_back('\n');
  for (const auto& input : node.inputs()) ExplainInto(*input, depth + 1, out);
}

}  // namespace

PlanPtr WithInputs(const PlanNode& node, std::vector<PlanPtr> inputs) {
  auto in = [&](size_t i) { return std::move(inputs[i]); };
  switch (node.kind()) {
    case PlanKind::kSource: return std::make_shared<SourceNode>(static_cast<const SourceNode&>(node).spec);
    case PlanKind::kFilter: return std::make_shared<FilterNode>(in(0), static_cast<const FilterNode&>(node).predicate);
    case PlanKind::kProject: return std::make_shared<ProjectNode>(in(0), static_cast<const ProjectNode&>(node).columns);
    case PlanKind::kWithColumns:
      return std::make_shared<WithColumnsNode>(in(0), static_cast<const WithColumnsNode&>(node).columns);
    case PlanKind::kRename: return std::make_shared<RenameNode>(in(0), static_cast<const RenameNode&>(node).renames);
    case PlanKind::kUnion: return std::make_shared<UnionNode>(std::move(inputs));
    case PlanKind::kLimit: {
      const auto& limit = static_cast<const LimitNode&>(node);
      return std::make_shared<LimitNode>(in(0), limit.count, limit.offset);
    }
    case PlanKind::kExplode: return std::make_shared<ExplodeNode>(in(0), static_cast<const ExplodeNode&>(node).column);
    case PlanKind::kMapBatches:
      return std::make_shared<MapBatchesNode>(in(0), static_cast<const MapBatchesNode&>(node).function);
    case PlanKind::kJoin: return std::make_shared<JoinNode>(in(0), in(1), static_cast<const JoinNode&>(node).spec);
    case PlanKind::kIntervalJoin:
      return std::make_shared<IntervalJoinNode>(in(0), in(1), static_cast<const IntervalJoinNode&>(node).spec);
    case PlanKind::kAsofJoin:
      return std::make_shared<AsofJoinNode>(in(0), in(1), static_cast<const AsofJoinNode&>(node).spec);
    case PlanKind::kWindowJoin:
      return std::make_shared<WindowJoinNode>(in(0), in(1), static_cast<const WindowJoinNode&>(node).spec);
    case PlanKind::kTemporalJoin:
      return std::make_shared<TemporalJoinNode>(in(0), in(1), static_cast<const TemporalJoinNode&>(node).spec);
    case PlanKind::kAggregate: {
      const auto& agg = static_cast<const AggregateNode&>(node);
      return std::make_shared<AggregateNode>(in(0), agg.keys, agg.aggregates);
    }
    case PlanKind::kWindowAggregate: {
      const auto& win = static_cast<const WindowAggregateNode&>(node);
      return std::make_shared<WindowAggregateNode>(in(0), win.window, win.keys, win.aggregates);
    }
    case PlanKind::kSort: return std::make_shared<SortNode>(in(0), static_cast<const SortNode&>(node).keys);
    case PlanKind::kTopK: {
      const auto& top = static_cast<const TopKNode&>(node);
      return std::make_shared<TopKNode>(in(0), top.keys, top.k, top.per, top.with_ties);
    }
    case PlanKind::kDistinct:
      return std::make_shared<DistinctNode>(in(0), static_cast<const DistinctNode&>(node).columns);
    case PlanKind::kSink: return std::make_shared<SinkNode>(in(0), static_cast<const SinkNode&>(node).spec);
    case PlanKind::kLateRows: return std::make_shared<LateRowsNode>(in(0));
    case PlanKind::kChangelogAggregate: {
      const auto& agg = static_cast<const ChangelogAggregateNode&>(node);
      return std::make_shared<ChangelogAggregateNode>(in(0), agg.keys, agg.aggregates, agg.state_ttl_us,
                                                      agg.time_column);
    }
    case PlanKind::kKeyedProcess: {
      const auto& process = static_cast<const KeyedProcessNode&>(node);
      return std::make_shared<KeyedProcessNode>(in(0), process.keys, process.factory, process.state_ttl_us);
    }
    case PlanKind::kRowsWindow: {
      const auto& win = static_cast<const RowsWindowNode&>(node);
      return std::make_shared<RowsWindowNode>(in(0), win.keys, win.rows, win.aggregates);
    }
  }
  return nullptr;  // every kind is handled above
}

std::string SourceNode::Describe() const {
  std::string out = DescribeSource();
  if (spec.idle_timeout_us > 0) out += " idle_timeout=" + std::to_string(spec.idle_timeout_us) + "us";
  return out;
}

std::string SourceNode::DescribeSource() const {
  switch (spec.kind) {
    case SourceSpec::Kind::kFile: {
      std::string out = "Source " + std::string(sabot::ToString(spec.format)) + " " + spec.path;
      if (!spec.columns.empty()) out += " columns=[" + JoinNames(spec.columns) + "]";
      if (!spec.read_as.empty()) {
        std::vector<std::string> read_as;
        for (const auto& f : spec.read_as) read_as.push_back(f->name() + ": " + FormatDataType(*f->type()));
        out += " read_as=[" + JoinNames(read_as) + "]";
      }
      if (spec.schema) out += " schema=explicit";
      return out;
    }
    case SourceSpec::Kind::kGenerator: {
      const auto& g = spec.generator;
      std::string out = "Source generator rows=" + (g.rows < 0 ? std::string("unbounded") : std::to_string(g.rows));
      out += " seed=" + std::to_string(g.seed) + " keys=" + std::to_string(g.num_keys);
      if (g.rows_per_second > 0) out += " rate=" + std::to_string(static_cast<int64_t>(g.rows_per_second)) + "/s";
      return out;
    }
    case SourceSpec::Kind::kMemory:
      return "Source memory " + spec.table_name;
    case SourceSpec::Kind::kNexmark: {
      const auto& n = spec.nexmark;
      return "Source nexmark " + std::string(sabot::ToString(n.table)) +
             " events=" + (n.events < 0 ? std::string("unbounded") : std::to_string(n.events)) +
             " seed=" + std::to_string(n.seed);
    }
  }
  return "Source ?";
}

std::string FilterNode::Describe() const { return "Filter " + predicate.ToString(); }
std::string ProjectNode::Describe() const { return "Project " + DescribeNamedExprs(columns); }
std::string WithColumnsNode::Describe() const { return "WithColumns " + DescribeNamedExprs(columns); }

std::string RenameNode::Describe() const {
  std::vector<std::string> parts;
  for (const auto& [from, to] : renames) parts.push_back(from + " -> " + to);
  return "Rename " + JoinNames(parts);
}

std::string UnionNode::Describe() const { return "Union " + std::to_string(inputs().size()) + " inputs"; }

std::string LimitNode::Describe() const {
  return "Limit " + std::to_string(count) + (offset ? " offset " + std::to_string(offset) : "");
}

std::string ExplodeNode::Describe() const { return "Explode " + column; }

std::string JoinNode::Describe() const {
  std::vector<std::string> pairs;
  for (size_t i = 0; i < spec.left_keys.size() && i < spec.right_keys.size(); ++i) {
    pairs.push_back(spec.left_keys[i] + " = " + spec.right_keys[i]);
  }
  std::string out = "Join " + std::string(sabot::ToString(spec.type)) + " on " + JoinNames(pairs, " and ");
  if (spec.residual) out += " where " + spec.residual->ToString();
  if (spec.output_columns) out += " output " + JoinNames(*spec.output_columns);
  if (IsChangelogJoin(*this)) out += " as changelog";
  if (spec.state_ttl_us > 0) out += " ttl " + std::to_string(spec.state_ttl_us) + "us on " + spec.time_column;
  return out;
}

static std::string DescribeAggregates(const std::vector<AggregateSpec>& aggregates) {
  std::vector<std::string> aggs;
  for (const auto& a : aggregates) {
    std::string shown = DisplayName(a);
    aggs.push_back(a.output_name.empty() || a.output_name == shown ? shown : a.output_name + " := " + shown);
  }
  return JoinNames(aggs);
}

std::string AggregateNode::Describe() const {
  return "Aggregate " + (keys.empty() ? std::string() : "by " + JoinNames(keys) + " ") + DescribeAggregates(aggregates);
}

std::string ChangelogAggregateNode::Describe() const {
  std::string out = "ChangelogAggregate " + (keys.empty() ? std::string() : "by " + JoinNames(keys) + " ") +
                    DescribeAggregates(aggregates);
  if (state_ttl_us > 0) out += " ttl " + std::to_string(state_ttl_us) + "us on " + time_column;
  return out;
}

std::string RowsWindowNode::Describe() const {
  return "RowsWindow by " + JoinNames(keys) + " rows " + std::to_string(rows) + " " + DescribeAggregates(aggregates);
}

std::string IntervalJoinNode::Describe() const {
  std::string out = "IntervalJoin on ";
  for (size_t i = 0; i < spec.left_keys.size(); ++i) {
    out += (i > 0 ? ", " : "") + spec.left_keys[i] + " = " + spec.right_keys[i];
  }
  return out + ", right." + spec.right_time + " BETWEEN left." + spec.left_time + " + " +
         std::to_string(spec.lower_us) + "us AND left." + spec.left_time + " + " + std::to_string(spec.upper_us) + "us";
}

static std::string DescribeKeyPairs(const std::vector<std::string>& left, const std::vector<std::string>& right) {
  std::string out;
  for (size_t i = 0; i < left.size() && i < right.size(); ++i) out += (i > 0 ? ", " : "") + left[i] + " = " + right[i];
  return out;
}

std::string WindowJoinNode::Describe() const {
  std::string out = spec.slide_us == spec.size_us ? "WindowJoin tumbling " : "WindowJoin sliding ";
  out += std::to_string(spec.size_us) + "us";
  if (spec.slide_us != spec.size_us) out += " every " + std::to_string(spec.slide_us) + "us";
  return out + " on " + DescribeKeyPairs(spec.left_keys, spec.right_keys) + ", windows of left." + spec.left_time +
         " and right." + spec.right_time;
}

std::string TemporalJoinNode::Describe() const {
  std::string out = "TemporalJoin " + std::string(sabot::ToString(spec.type)) + " on " +
                    DescribeKeyPairs(spec.left_keys, spec.right_keys) + ", right versioned by right." +
                    spec.version_time + " as of left." + spec.left_time;
  if (!spec.op_column.empty()) out += ", changelog op right." + spec.op_column;
  return out;
}

std::string AsofJoinNode::Describe() const {
  std::string out = "AsofJoin " + std::string(sabot::ToString(spec.type)) + " on ";
  out += DescribeKeyPairs(spec.left_keys, spec.right_keys);
  out += ", latest right." + spec.right_time + " <= left." + spec.left_time;
  if (spec.tolerance_us) out += " within " + std::to_string(*spec.tolerance_us) + "us";
  return out;
}

std::string WindowAggregateNode::Describe() const {
  if (window.kind == WindowSpec::Kind::kGlobal) {
    std::string out = "WindowAggregate global";
    if (window.trigger_count > 0) out += " every " + std::to_string(window.trigger_count) + " rows";
    if (window.trigger_interval_us > 0) out += " every " + std::to_string(window.trigger_interval_us) + "us";
    if (!keys.empty()) out += " by " + JoinNames(keys);
    return out + " " + DescribeAggregates(aggregates);
  }
  std::string out = window.kind == WindowSpec::Kind::kTumbling ? "WindowAggregate tumbling " : "WindowAggregate sliding ";
  if (window.kind == WindowSpec::Kind::kSession) out = "WindowAggregate session gap ";
  out += std::to_string(window.kind == WindowSpec::Kind::kSession ? window.gap_us : window.size_us) + "us";
  if (window.kind == WindowSpec::Kind::kSliding) out += " every " + std::to_string(window.slide_us) + "us";
  out += " on " + window.time_column;
  if (window.allowed_lateness_us > 0) out += " lateness " + std::to_string(window.allowed_lateness_us) + "us";
  if (!keys.empty()) out += " by " + JoinNames(keys);
  return out + " " + DescribeAggregates(aggregates);
}

static std::string DescribeKeys(const std::vector<SortKey>& keys) {
  std::vector<std::string> parts;
  for (const auto& k : keys) {
    parts.push_back(k.column + (k.ascending ? " asc" : " desc") + (k.nulls_first ? " nulls first" : ""));
  }
  return JoinNames(parts);
}

std::string SortNode::Describe() const { return "Sort " + DescribeKeys(keys); }
std::string TopKNode::Describe() const {
  return "TopK " + std::to_string(k) + (with_ties ? " with ties" : "") + (per.empty() ? "" : " per " + JoinNames(per)) +
         " by " + DescribeKeys(keys);
}
std::string DistinctNode::Describe() const {
  return "Distinct" + (columns.empty() ? std::string() : " " + JoinNames(columns));
}

std::string SinkNode::Describe() const {
  switch (spec.kind) {
    case SinkSpec::Kind::kFile:
      return "Sink " + std::string(sabot::ToString(spec.format)) + " " + spec.path +
             (spec.partition_by.empty() ? std::string() : " partitioned by " + JoinNames(spec.partition_by));
    case SinkSpec::Kind::kPrint: return "Sink print";
    case SinkSpec::Kind::kCollect: return "Sink collect";
    case SinkSpec::Kind::kCount: return "Sink count";
  }
  return "Sink ?";
}

bool IsBounded(const PlanNode& node) {
  switch (node.kind()) {
    case PlanKind::kSource: {
      const auto& spec = static_cast<const SourceNode&>(node).spec;
      if (spec.kind == SourceSpec::Kind::kGenerator) return spec.generator.rows >= 0;
      if (spec.kind == SourceSpec::Kind::kNexmark) return spec.nexmark.events >= 0;
      return true;
    }
    case PlanKind::kLimit:
      return true;
    default:
      for (const auto& input : node.inputs()) {
        if (!IsBounded(*input)) return false;
      }
      return true;
  }
}

bool IsChangelogJoin(const PlanNode& node) {
  if (node.kind() != PlanKind::kJoin) return false;
  const JoinSpec& spec = static_cast<const JoinNode&>(node).spec;
  if (spec.changelog || spec.state_ttl_us > 0 || !IsBounded(*node.inputs()[1])) return true;
  // Rows that are emitted once the left input ended wait forever on one that never does.
  return (KeepsUnmatchedRight(spec.type) || OutputsRightOnly(spec.type)) && !IsBounded(*node.inputs()[0]);
}

std::string Explain(const PlanNode& root) {
  std::string out;
  ExplainInto(root, 0, &out);
  return out;
}

}  // namespace sabot
