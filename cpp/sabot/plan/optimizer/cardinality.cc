// Row count estimates: sources measured, everything above guessed.
#include "sabot/plan/optimizer/cardinality.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <arrow/scalar.h>
#include <arrow/table.h>
#include <nlohmann/json.hpp>

namespace sabot {

namespace {

// Fixed characters a string pattern requires: each one rules out most rows, so the guess
// halves per character, down to a floor (a long pattern still matches some rows).
constexpr double kPerPatternChar = 0.5;
constexpr double kMinPatternKept = 0.001;
// A range test past the values the statistics saw still keeps a few (they may be stale).
constexpr double kMinRangeKept = 0.001;

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

// The column `call` compares with literals (its one column argument; the others are
// literals), or null.
const Expr* ComparedColumn(const Expr& call) {
  const Expr* column = nullptr;
  for (const Expr& arg : call.args()) {
    if (arg.kind() == Expr::Kind::kColumn && column == nullptr) {
      column = &arg;
    } else if (arg.kind() != Expr::Kind::kLiteral) {
      return nullptr;
    }
  }
  return column;
}

// The distinct values of the column `call` compares with literals, when `stats` knows them.
std::optional<int64_t> DistinctOfCompared(const Expr& call, const ColumnStatsOf& stats) {
  const Expr* column = stats ? ComparedColumn(call) : nullptr;
  const ColumnStats* known = column != nullptr ? stats(column->column_name()) : nullptr;
  if (known == nullptr || !known->distinct || *known->distinct <= 0) return std::nullopt;
  return known->distinct;
}

// A literal's value on the number line the range statistics use: numbers as they are,
// dates as days since the epoch.
std::optional<double> NumberOf(const arrow::Scalar& scalar) {
  if (!scalar.is_valid) return std::nullopt;
  switch (scalar.type->id()) {
    case arrow::Type::INT8: return static_cast<double>(static_cast<const arrow::Int8Scalar&>(scalar).value);
    case arrow::Type::INT16: return static_cast<double>(static_cast<const arrow::Int16Scalar&>(scalar).value);
    case arrow::Type::INT32: return static_cast<double>(static_cast<const arrow::Int32Scalar&>(scalar).value);
    case arrow::Type::INT64: return static_cast<double>(static_cast<const arrow::Int64Scalar&>(scalar).value);
    case arrow::Type::FLOAT: return static_cast<double>(static_cast<const arrow::FloatScalar&>(scalar).value);
    case arrow::Type::DOUBLE: return static_cast<const arrow::DoubleScalar&>(scalar).value;
    case arrow::Type::DATE32: return static_cast<double>(static_cast<const arrow::Date32Scalar&>(scalar).value);
    default: return std::nullopt;
  }
}

// A range test `column op literal` (either side), as the bound it sets on the column.
struct Bound {
  std::string column;
  double value;
  bool upper;  // column <= value (or <); else column >= value (or >)
};

std::optional<Bound> RangeBound(const Expr& c) {
  if (c.kind() != Expr::Kind::kCall || c.args().size() != 2) return std::nullopt;
  const std::string& f = c.function();
  const bool less = f == "less" || f == "less_equal";
  if (!less && f != "greater" && f != "greater_equal") return std::nullopt;
  const Expr& a = c.args()[0];
  const Expr& b = c.args()[1];
  const bool column_first = a.kind() == Expr::Kind::kColumn && b.kind() == Expr::Kind::kLiteral;
  if (!column_first && !(b.kind() == Expr::Kind::kColumn && a.kind() == Expr::Kind::kLiteral)) return std::nullopt;
  auto value = NumberOf(*(column_first ? b : a).literal());
  if (!value) return std::nullopt;
  // `literal < column` bounds the column from below.
  return Bound{(column_first ? a : b).column_name(), *value, column_first == less};
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
double ConjunctSelectivity(const Expr& c, const ColumnStatsOf& stats) {
  const std::string& f = c.kind() == Expr::Kind::kCall ? c.function() : std::string();
  if (f == "equal" || f == "not_equal" || f == "is_in") {
    if (auto n = DistinctOfCompared(c, stats)) {
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
    return std::min(1.0, FilterSelectivity(c.args()[0], stats) + FilterSelectivity(c.args()[1], stats));
  }
  if (f == "equal") return 0.1;
  if (f == "is_in") return 0.25;
  if (f == "less" || f == "less_equal" || f == "greater" || f == "greater_equal") return 0.33;
  return 0.5;
}

}  // namespace

double FilterSelectivity(const Expr& predicate, const ColumnStatsOf& stats) {
  double kept = 1.0;
  // Range tests on a column whose range is known are gathered into one interval per
  // column: x >= a and x <= b keep the values between a and b, not P(x >= a) * P(x <= b).
  struct Interval {
    std::pair<double, double> range;  // the column's values
    double low, high;                 // what the tests leave of them
  };
  std::map<std::string, Interval> intervals;
  for (const auto& c : Conjuncts(predicate)) {
    auto bound = stats ? RangeBound(c) : std::nullopt;
    const ColumnStats* known = bound ? stats(bound->column) : nullptr;
    if (known == nullptr || !known->range) {
      kept *= ConjunctSelectivity(c, stats);
      continue;
    }
    const auto [smallest, largest] = *known->range;
    Interval& interval = intervals.emplace(bound->column, Interval{*known->range, smallest, largest}).first->second;
    if (bound->upper) {
      interval.high = std::min(interval.high, bound->value);
    } else {
      interval.low = std::max(interval.low, bound->value);
    }
  }
  for (const auto& [column, interval] : intervals) {
    const double width = interval.range.second - interval.range.first;
    const double part = width > 0 ? (interval.high - interval.low) / width : (interval.low <= interval.high);
    kept *= std::clamp(part, kMinRangeKept, 1.0);
  }
  return kept;
}

const ColumnStats* CardinalityEstimator::ColumnStatsOf(const PlanNode& node, const std::string& name) const {
  switch (node.kind()) {
    case PlanKind::kSource: {
      const SourceSpec& spec = static_cast<const SourceNode&>(node).spec;
      if (spec.kind != SourceSpec::Kind::kFile) return nullptr;
      auto file = facts_.column_stats.find(spec.path);
      if (file == facts_.column_stats.end()) return nullptr;
      auto column = file->second.find(name);
      return column == file->second.end() ? nullptr : &column->second;
    }
    case PlanKind::kFilter:
      return ColumnStatsOf(*node.input(), name);
    case PlanKind::kWithColumns:
      for (const auto& c : static_cast<const WithColumnsNode&>(node).columns) {
        if (c.name == name) return nullptr;  // computed here, not read
      }
      return ColumnStatsOf(*node.input(), name);
    case PlanKind::kProject:
      for (const auto& c : static_cast<const ProjectNode&>(node).columns) {
        if (c.name != name) continue;
        if (c.expr.kind() != Expr::Kind::kColumn) return nullptr;
        return ColumnStatsOf(*node.input(), c.expr.column_name());
      }
      return nullptr;
    default:
      return nullptr;
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
      auto stats = [&](const std::string& name) { return ColumnStatsOf(*node.input(), name); };
      return in[0] * FilterSelectivity(static_cast<const FilterNode&>(node).predicate, stats);
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
        // The semi and anti joins above with the sides swapped: right rows, at most once.
        case JoinType::kRightSemi:
          return in[1] * kept_of(0);
        case JoinType::kRightAnti:
          return in[1] * std::max(0.1, 1.0 - kept_of(0));
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
