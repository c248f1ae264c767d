// Row count estimates: sources measured, everything above guessed.
#include "sabot/plan/optimizer/cardinality.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <arrow/table.h>

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

// The fraction of rows one conjunct keeps.
double ConjunctSelectivity(const Expr& c) {
  const std::string& f = c.kind() == Expr::Kind::kCall ? c.function() : std::string();
  if (f == "invert" && c.args().size() == 1) {
    if (auto kept = PatternSelectivity(c.args()[0])) return 1.0 - *kept;
  }
  if (auto kept = c.kind() == Expr::Kind::kCall ? PatternSelectivity(c) : std::nullopt) return *kept;
  // An OR keeps what either side keeps, the overlap counted twice.
  if (f == "or_kleene" && c.args().size() == 2) {
    return std::min(1.0, FilterSelectivity(c.args()[0]) + FilterSelectivity(c.args()[1]));
  }
  if (f == "equal") return 0.1;
  if (f == "is_in") return 0.25;
  if (f == "less" || f == "less_equal" || f == "greater" || f == "greater_equal") return 0.33;
  return 0.5;
}

}  // namespace

double FilterSelectivity(const Expr& predicate) {
  double kept = 1.0;
  for (const auto& c : Conjuncts(predicate)) kept *= ConjunctSelectivity(c);
  return kept;
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
    case PlanKind::kFilter:
      return in[0] * FilterSelectivity(static_cast<const FilterNode&>(node).predicate);
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
