// GatherPlanFacts: one lowering of the plan as written, read for schemas and sizes.
#include "sabot/runtime/plan_facts.h"

#include <functional>

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

}  // namespace

PlanFacts GatherPlanFacts(const PlanNode& root) {
  PlanFacts facts;
  const PlanNode& body = root.kind() == PlanKind::kSink ? *root.input() : root;
  // Join ordering needs sizes (bounded plans); projection pushdown needs the schemas of
  // file sources, which are read (and decoded) column by column.
  const bool joins = IsBounded(body) && Has(body, [](const PlanNode& n) { return n.kind() == PlanKind::kJoin; });
  if (!joins && !Has(body, IsFileSource)) return facts;
  SinkOutput output;
  auto lowered = LowerPlanWithSink(body, [&](const std::shared_ptr<arrow::Schema>& schema) {
    SinkSpec count;
    count.kind = SinkSpec::Kind::kCount;
    return MakeSink(count, schema, &output);
  });
  if (!lowered.ok()) return facts;
  facts.schemas = std::move(lowered->schemas);
  if (!IsBounded(body)) return facts;  // sizes only for bounded plans, as the join rules expect
  for (const auto& [node, source] : lowered->sources) {
    if (node->kind() != PlanKind::kSource) continue;
    const SourceSpec& spec = static_cast<const SourceNode&>(*node).spec;
    if (spec.kind != SourceSpec::Kind::kFile || spec.format != FileFormat::kParquet) continue;
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
