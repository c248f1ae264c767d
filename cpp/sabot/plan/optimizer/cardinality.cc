// Row count estimates: sources measured, everything above guessed.
#include "sabot/plan/optimizer/cardinality.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <arrow/table.h>
#include <nlohmann/json.hpp>

namespace sabot {

namespace {

// Fixed characters a string pattern requires: each one rules out most rows, so the guess
// halves per character, down to a floor (a long pattern still matches some rows).
constexpr double kPerPatternChar = 0.5;
constexpr double kMinPatternKept = 0.001;

// The fraction of rows a string match keeps, from its pattern's fixed characters:
// LIKE's '%' and '_' and a regex's metacharacters require nothing. nullopt when `call`
// is no pattern match.
std::optional<double> PatternSelectivity(const Expr& call) {
  static const std::map<std::string, std::string> kWildcards = {
      {"match_like", "%_"},  {"match_substring", ""}, {"starts_with", ""},
      {"ends_with", ""},     {"match_substring_regex", ".*+?()[]{}|^$\\"}};
  auto kind = kWildcards.find(call.function());
  if (kind == kWildcards.end()) return std::nullopt;
  auto pattern = call.options().find("pattern");
  if (pattern == call.options().end()) return std::nullopt;
  int fixed = 0;
  for (char ch : pattern->second) fixed += kind->second.find(ch) == std::string::npos;
  return std::max(kMinPatternKept, std::pow(kPerPatternChar, fixed));
}

// The distinct values of the column `call` compares with literals (its first argument,
// or either of two for a comparison), when `distinct` knows them.
std::optional<int64_t> DistinctOfCompared(const Expr& call, const DistinctValues& distinct) {
  if (!distinct || call.args().empty()) return std::nullopt;
  const Expr* column = nullptr;
  for (const Expr& arg : call.args()) {
    if (arg.kind() == Expr::Kind::kColumn && column == nullptr) {
      column = &arg;
    } else if (arg.kind() != Expr::Kind::kLiteral) {
      return std::nullopt;
    }
  }
  if (column == nullptr) return std::nullopt;
  auto n = distinct(column->column_name());
  if (!n || *n <= 0) return std::nullopt;
  return n;
}

// The number of values an is_in call's value_set lists; nullopt when it cannot be read.
std::optional<double> SetSize(const Expr& call) {
  auto set = call.options().find("value_set");
  if (set == call.options().end()) return std::nullopt;
  const auto values = nlohmann::json::parse(set->second, nullptr, /*allow_exceptions=*/false);
  if (!values.is_array()) return std::nullopt;
  return static_cast<double>(values.size());
}

// The fraction of rows one conjunct keeps.
double ConjunctSelectivity(const Expr& c, const DistinctValues& distinct) {
  const std::string& f = c.kind() == Expr::Kind::kCall ? c.function() : std::string();
  if (f == "equal" || f == "not_equal" || f == "is_in") {
    if (auto n = DistinctOfCompared(c, distinct)) {
      const double one = 1.0 / static_cast<double>(*n);
      if (f == "equal") return one;
      if (f == "not_equal") return 1.0 - one;
      if (auto k = SetSize(c)) return std::min(1.0, *k * one);
    }
  }
  if (f == "invert" && c.args().size() == 1) {
    if (auto kept = PatternSelectivity(c.args()[0])) return 1.0 - *kept;
  }
  if (auto kept = c.kind() == Expr::Kind::kCall ? PatternSelectivity(c) : std::nullopt) return *kept;
  // An OR keeps what either side keeps, the overlap counted twice.
  if (f == "or_kleene" && c.args().size() == 2) {
    return std::min(1.0, FilterSelectivity(c.args()[0], distinct) + FilterSelectivity(c.args()[1], distinct));
  }
  if (f == "equal") return 0.1;
  if (f == "is_in") return 0.25;
  if (f == "less" || f == "less_equal" || f == "greater" || f == "greater_equal") return 0.33;
  return 0.5;
}

}  // namespace

double FilterSelectivity(const Expr& predicate, const DistinctValues& distinct) {
  double kept = 1.0;
  for (const auto& c : Conjuncts(predicate)) kept *= ConjunctSelectivity(c, distinct);
  return kept;
}

std::optional<int64_t> CardinalityEstimator::DistinctValuesOf(const PlanNode& node, const std::string& name) const {
  switch (node.kind()) {
    case PlanKind::kSource: {
      const SourceSpec& spec = static_cast<const SourceNode&>(node).spec;
      if (spec.kind != SourceSpec::Kind::kFile) return std::nullopt;
      auto file = facts_.distinct_values.find(spec.path);
      if (file == facts_.distinct_values.end()) return std::nullopt;
      auto column = file->second.find(name);
      if (column == file->second.end()) return std::nullopt;
      return column->second;
    }
    case PlanKind::kFilter:
      return DistinctValuesOf(*node.input(), name);
    case PlanKind::kWithColumns:
      for (const auto& c : static_cast<const WithColumnsNode&>(node).columns) {
        if (c.name == name) return std::nullopt;  // computed here, not read
      }
      return DistinctValuesOf(*node.input(), name);
    case PlanKind::kProject:
      for (const auto& c : static_cast<const ProjectNode&>(node).columns) {
        if (c.name != name) continue;
        if (c.expr.kind() != Expr::Kind::kColumn) return std::nullopt;
        return DistinctValuesOf(*node.input(), c.expr.column_name());
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

std::optional<double> CardinalityEstimator::SourceRows(const SourceSpec& spec) const {
  switch (spec.kind) {
    case SourceSpec::Kind::kMemory:
      if (spec.table != nullptr) return static_cast<double>(spec.table->num_rows());
      return std::nullopt;
    case SourceSpec::Kind::kGenerator:
      if (spec.generator.rows >= 0) return static_cast<double>(spec.generator.rows);
      return std::nullopt;
    case SourceSpec::Kind::kFile: {
      auto it = facts_.file_rows.find(spec.path);
      if (it != facts_.file_rows.end()) return static_cast<double>(it->second);
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

std::optional<double> CardinalityEstimator::Rows(const PlanNode& node) {
  auto done = rows_.find(&node);
  if (done != rows_.end()) return done->second;
  auto rows = Compute(node);
  rows_[&node] = rows;
  return rows;
}

std::optional<double> CardinalityEstimator::BaseRows(const PlanNode& node) {
  auto done = base_.find(&node);
  if (done != base_.end()) return done->second;
  std::optional<double> base;
  if (node.kind() == PlanKind::kSource) {
    base = SourceRows(static_cast<const SourceNode&>(node).spec);
  } else {
    for (const auto& input : node.inputs()) {
      auto b = BaseRows(*input);
      if (!b) {
        base.reset();
        break;
      }
      base = std::max(base.value_or(0.0), *b);
    }
  }
  base_[&node] = base;
  return base;
}

std::optional<double> CardinalityEstimator::Compute(const PlanNode& node) {
  if (node.kind() == PlanKind::kSource) return SourceRows(static_cast<const SourceNode&>(node).spec);
  std::vector<double> in;
  for (const auto& input : node.inputs()) {
    auto rows = Rows(*input);
    if (!rows) return std::nullopt;
    in.push_back(*rows);
  }
  switch (node.kind()) {
    case PlanKind::kFilter: {
      auto distinct = [&](const std::string& name) { return DistinctValuesOf(*node.input(), name); };
      return in[0] * FilterSelectivity(static_cast<const FilterNode&>(node).predicate, distinct);
    }
    case PlanKind::kProject:
    case PlanKind::kWithColumns:
    case PlanKind::kRename:
    case PlanKind::kMapBatches:
    case PlanKind::kSort:
    case PlanKind::kSink:
      return in[0];
    case PlanKind::kUnion: {
      double sum = 0;
      for (double r : in) sum += r;
      return sum;
    }
    case PlanKind::kLimit:
      return std::min(in[0], static_cast<double>(static_cast<const LimitNode&>(node).count));
    case PlanKind::kTopK:
      return std::min(in[0], static_cast<double>(static_cast<const TopKNode&>(node).k));
    case PlanKind::kAggregate:
      // Grouping keeps one row per group; without keys, one row.
      return static_cast<const AggregateNode&>(node).keys.empty() ? 1.0 : std::max(1.0, in[0] / 4);
    case PlanKind::kDistinct:
      return std::max(1.0, in[0] / 2);
    case PlanKind::kJoin: {
      // Joins mostly go from a foreign key to a key: each left row meets at most one right
      // row, kept as often as the right side's filters kept rows of its table.
      // Which side holds the key is unknown: an inner join takes the larger of the two
      // readings (a key side's filters never make the other side's rows multiply).
      const auto& join = static_cast<const JoinNode&>(node);
      auto kept_of = [&](int side) {
        auto base = BaseRows(*node.inputs()[side]);
        return base && *base > 0 ? std::min(1.0, in[side] / *base) : 0.5;
      };
      const double kept = kept_of(1);
      switch (join.spec.type) {
        case JoinType::kInner:
          return std::max(in[0] * kept, in[1] * kept_of(0));
        case JoinType::kSemi:
          return in[0] * kept;
        case JoinType::kAnti:
          return in[0] * std::max(0.1, 1.0 - kept);
        case JoinType::kLeft:
          return in[0];
        case JoinType::kRight:
          return in[1];
        case JoinType::kFull:
          return in[0] + in[1];
      }
      return std::nullopt;
    }
    default:
      return std::nullopt;  // streaming operators: no bounded estimate
  }
}

}  // namespace sabot
