// GatherPlanFacts: one lowering of the plan as written, read for schemas and sizes.
#include "sabot/runtime/plan_facts.h"

#include <functional>

#include "sabot/io/parquet_source.h"
#include "sabot/io/sink_factory.h"
#include "sabot/io/source_file_split.h"
#include "sabot/plan/optimizer/optimizer.h"
#include "sabot/runtime/physical_planner.h"

namespace sabot {

namespace {

bool Has(const PlanNode& node, const std::function<bool(const PlanNode&)>& test) {
  if (test(node)) return true;
  for (const auto& input : node.inputs()) {
    if (Has(*input, test)) return true;
  }
  return false;
}

bool IsFileSource(const PlanNode& node) {
  return node.kind() == PlanKind::kSource &&
         static_cast<const SourceNode&>(node).spec.kind == SourceSpec::Kind::kFile;
}

bool ComputesACast(const PlanNode& node) {
  if (node.kind() != PlanKind::kWithColumns) return false;
  for (const auto& c : static_cast<const WithColumnsNode&>(node).columns) {
    if (c.expr.kind() == Expr::Kind::kCall && c.expr.function() == "cast") return true;
  }
  return false;
}

bool IsParquetFile(const PlanNode& node) {
  if (node.kind() != PlanKind::kSource) return false;
  const SourceSpec& spec = static_cast<const SourceNode&>(node).spec;
  return spec.kind == SourceSpec::Kind::kFile && spec.format == FileFormat::kParquet;
}

}  // namespace

PlanFacts GatherPlanFacts(const PlanNode& root) {
  PlanFacts facts;
  const PlanNode& body = root.kind() == PlanKind::kSink ? *root.input() : root;
  // Join ordering needs sizes (bounded plans); projection pushdown needs the schemas of
  // file sources, which are read (and decoded) column by column, and the cast-at-source
  // rule what their Parquet sources read natively.
  const bool joins = IsBounded(body) && Has(body, [](const PlanNode& n) { return n.kind() == PlanKind::kJoin; });
  if (!joins && !Has(body, IsFileSource)) return facts;
  const bool casts = Has(body, ComputesACast);
  SinkOutput output;
  auto lowered = LowerPlanWithSink(body, [&](const std::shared_ptr<arrow::Schema>& schema) {
    SinkSpec count;
    count.kind = SinkSpec::Kind::kCount;
    return MakeSink(count, schema, &output);
  });
  if (!lowered.ok()) return facts;
  facts.schemas = std::move(lowered->schemas);
  for (const auto& [node, source] : lowered->sources) {
    if (casts && IsParquetFile(*node)) facts.read_types[node] = source->NativeReadTypes();
  }
  if (!IsBounded(body)) return facts;  // sizes only for bounded plans, as the join rules expect
  for (const auto& [node, source] : lowered->sources) {
    if (!IsParquetFile(*node)) continue;
    const SourceSpec& spec = static_cast<const SourceNode&>(*node).spec;
    if (auto rows = RowsOfFileSplits(*source)) facts.file_rows[spec.path] = *rows;
    if (!joins) continue;  // only join ordering reads the counts
    if (const auto* parquet = dynamic_cast<const ParquetSource*>(source.get())) {
      auto& columns = facts.column_stats[spec.path];
      for (auto& [column, stats] : parquet->ColumnStatistics()) columns[column] = stats;
    }
  }
  return facts;
}

PlanPtr OptimizeWithFacts(const PlanNode& root) {
  const PlanFacts facts = GatherPlanFacts(root);
  return OptimizePlan(root, &facts);
}

}  // namespace sabot
