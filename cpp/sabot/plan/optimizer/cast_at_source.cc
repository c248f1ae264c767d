// Casts at the source: casts a source reads natively become its read_as requests.
#include "sabot/plan/optimizer/cast_at_source.h"

#include <algorithm>
#include <set>
#include <string>

#include <arrow/type.h>

#include "sabot/common/type_names.h"

namespace sabot {

namespace {

// The type `c` casts its own column to in place (`name := cast(name, T)`), else null.
std::shared_ptr<arrow::DataType> InPlaceCastType(const NamedExpr& c) {
  const Expr& e = c.expr;
  if (e.kind() != Expr::Kind::kCall || e.function() != "cast" || e.args().size() != 1) return nullptr;
  const Expr& arg = e.args().front();
  if (arg.kind() != Expr::Kind::kColumn || arg.column_name() != c.name) return nullptr;
  auto to = e.options().find("to");
  if (to == e.options().end()) return nullptr;
  auto type = ParseDataType(to->second);
  return type.ok() ? *type : nullptr;
}

}  // namespace

PlanPtr ReadCastsAtSource(const WithColumnsNode& with_columns, const PlanPtr& input,
                          const std::map<const PlanNode*, std::vector<std::shared_ptr<arrow::Field>>>& read_types) {
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
  auto native = read_types.find(below);
  if (native == read_types.end() || native->second.empty()) return unchanged();
  const SourceSpec& spec = static_cast<const SourceNode&>(*below).spec;

  // Columns another expression of the node reads keep their stored type for it.
  std::multiset<std::string> reads;
  for (const auto& c : with_columns.columns) {
    for (const auto& name : c.expr.ColumnRefs()) reads.insert(name);
  }
  auto is_native = [&](const std::string& name, const arrow::DataType& type) {
    return std::any_of(native->second.begin(), native->second.end(),
                       [&](const auto& f) { return f->name() == name && f->type()->Equals(type); });
  };
  auto already_read_as = [&](const std::string& name) {
    return std::any_of(spec.read_as.begin(), spec.read_as.end(), [&](const auto& f) { return f->name() == name; });
  };
  SourceSpec read = spec;
  std::vector<NamedExpr> kept;
  for (const auto& c : with_columns.columns) {
    const auto type = InPlaceCastType(c);
    if (type != nullptr && is_native(c.name, *type) && filtered.count(c.name) == 0 && reads.count(c.name) == 1 &&
        !already_read_as(c.name)) {
      read.read_as.push_back(arrow::field(c.name, type));  // nullable, as the cast's output is
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
