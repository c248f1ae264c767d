// Casts at the source: decimal-to-float64 casts become read_as requests of Parquet sources.
#include "sabot/plan/optimizer/cast_at_source.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <arrow/type.h>

#include "sabot/common/type_names.h"

namespace sabot {

namespace {

bool IsDecimal(const arrow::DataType& type) {
  // The decimals sabot_decimal_to_float64 takes: the cast of a wider one stays Arrow's.
  const auto id = type.id();
  return id == arrow::Type::DECIMAL32 || id == arrow::Type::DECIMAL64 || id == arrow::Type::DECIMAL128;
}

// Whether `c` is `name := cast(name, float64)`.
bool IsCastToFloat64InPlace(const NamedExpr& c) {
  const Expr& e = c.expr;
  if (e.kind() != Expr::Kind::kCall || e.function() != "cast" || e.args().size() != 1) return false;
  const Expr& arg = e.args().front();
  if (arg.kind() != Expr::Kind::kColumn || arg.column_name() != c.name) return false;
  auto to = e.options().find("to");
  if (to == e.options().end()) return false;
  auto type = ParseDataType(to->second);
  return type.ok() && (*type)->id() == arrow::Type::DOUBLE;
}

}  // namespace

PlanPtr ReadCastsAtSource(const WithColumnsNode& with_columns, const PlanPtr& input,
                          const std::map<const PlanNode*, std::shared_ptr<arrow::Schema>>& schemas) {
  auto unchanged = [&] { return WithInputs(with_columns, {input}); };
  // Down through the filters to the source; what they read keeps its stored type.
  std::vector<const FilterNode*> filters;
  std::set<std::string> filtered;
  const PlanNode* below = input.get();
  while (below->kind() == PlanKind::kFilter) {
    const auto* filter = static_cast<const FilterNode*>(below);
    filters.push_back(filter);
    for (const auto& name : filter->predicate.ColumnRefs()) filtered.insert(name);
    below = filter->input().get();
  }
  if (below->kind() != PlanKind::kSource) return unchanged();
  const SourceSpec& spec = static_cast<const SourceNode&>(*below).spec;
  if (spec.kind != SourceSpec::Kind::kFile || spec.format != FileFormat::kParquet) return unchanged();
  auto schema = schemas.find(below);
  if (schema == schemas.end()) return unchanged();

  // Columns another expression of the node reads must stay decimals for it.
  std::multiset<std::string> reads;
  for (const auto& c : with_columns.columns) {
    for (const auto& name : c.expr.ColumnRefs()) reads.insert(name);
  }
  SourceSpec read = spec;
  std::vector<NamedExpr> kept;
  for (const auto& c : with_columns.columns) {
    const auto field = schema->second->GetFieldByName(c.name);
    const bool at_source = IsCastToFloat64InPlace(c) && field != nullptr && IsDecimal(*field->type()) &&
                           filtered.count(c.name) == 0 && reads.count(c.name) == 1 &&
                           std::none_of(read.read_as.begin(), read.read_as.end(),
                                        [&](const auto& f) { return f->name() == c.name; });
    if (at_source) {
      // Nullable, as the cast's output is.
      read.read_as.push_back(arrow::field(c.name, arrow::float64()));
    } else {
      kept.push_back(c);
    }
  }
  if (read.read_as.size() == spec.read_as.size()) return unchanged();

  PlanPtr out = std::make_shared<SourceNode>(std::move(read));
  for (auto f = filters.rbegin(); f != filters.rend(); ++f) out = std::make_shared<FilterNode>(out, (*f)->predicate);
  if (kept.empty()) return out;
  return std::make_shared<WithColumnsNode>(std::move(out), std::move(kept));
}

}  // namespace sabot
