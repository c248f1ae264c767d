// GatherPlanFacts: one lowering of the plan as written, read for schemas and sizes.
#include "sabot/runtime/plan_facts.h"

#include "sabot/io/sink_factory.h"
#include "sabot/io/source_factory.h"
#include "sabot/io/source_file_split.h"
#include "sabot/plan/optimizer/optimizer.h"
#include "sabot/runtime/physical_planner.h"

namespace sabot {

namespace {

bool HasHashJoin(const PlanNode& node) {
  if (node.kind() == PlanKind::kJoin) return true;
  for (const auto& input : node.inputs()) {
    if (HasHashJoin(*input)) return true;
  }
  return false;
}

bool HasCast(const PlanNode& node) {
  if (node.kind() == PlanKind::kWithColumns) {
    for (const auto& c : static_cast<const WithColumnsNode&>(node).columns) {
      if (c.expr.kind() == Expr::Kind::kCall && c.expr.function() == "cast") return true;
    }
  }
  for (const auto& input : node.inputs()) {
    if (HasCast(*input)) return true;
  }
  return false;
}

bool IsParquetFile(const PlanNode& node) {
  if (node.kind() != PlanKind::kSource) return false;
  const SourceSpec& spec = static_cast<const SourceNode&>(node).spec;
  return spec.kind == SourceSpec::Kind::kFile && spec.format == FileFormat::kParquet;
}

// What the Parquet sources read natively, all the cast-at-source rule needs: opening one
// reads its first file's footer, far less than lowering the whole plan.
void GatherReadTypes(const PlanNode& node, PlanFacts* facts) {
  if (IsParquetFile(node) && facts->read_types.count(&node) == 0) {
    auto source = MakeSource(static_cast<const SourceNode&>(node).spec);
    if (source.ok()) facts->read_types[&node] = (*source)->NativeReadTypes();
  }
  for (const auto& input : node.inputs()) GatherReadTypes(*input, facts);
}

}  // namespace

PlanFacts GatherPlanFacts(const PlanNode& root) {
  PlanFacts facts;
  const PlanNode& body = root.kind() == PlanKind::kSink ? *root.input() : root;
  const bool casts = HasCast(body);
  if (!HasHashJoin(body) || !IsBounded(body)) {
    if (casts) GatherReadTypes(body, &facts);
    return facts;
  }
  SinkOutput output;
  auto lowered = LowerPlanWithSink(body, [&](const std::shared_ptr<arrow::Schema>& schema) {
    SinkSpec count;
    count.kind = SinkSpec::Kind::kCount;
    return MakeSink(count, schema, &output);
  });
  if (!lowered.ok()) return facts;
  facts.schemas = std::move(lowered->schemas);
  for (const auto& [node, source] : lowered->sources) {
    if (!IsParquetFile(*node)) continue;
    if (casts) facts.read_types[node] = source->NativeReadTypes();
    const SourceSpec& spec = static_cast<const SourceNode&>(*node).spec;
    auto splits = source->Splits();
    if (!splits.ok()) continue;
    int64_t rows = 0;
    for (const auto& split : *splits) {
      const auto* file = dynamic_cast<const FileSplit*>(split.get());
      if (file == nullptr || file->num_rows() < 0) {
        rows = -1;
        break;
      }
      rows += file->num_rows();
    }
    if (rows >= 0) facts.file_rows[spec.path] = rows;
  }
  return facts;
}

PlanPtr OptimizeWithFacts(const PlanNode& root) {
  const PlanFacts facts = GatherPlanFacts(root);
  return OptimizePlan(root, &facts);
}

}  // namespace sabot
