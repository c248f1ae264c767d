// SharedSubplans: what a bounded plan computes once for several readers.
#include "sabot/runtime/shared_subplans.h"

#include <map>

#include <arrow/type.h>
#include <arrow/type_traits.h>

#include "sabot/io/source_file_split.h"

namespace sabot {

namespace {

// A guess of the bytes of one string or nested value beyond its offsets: schemas do not
// tell, and a guess only shifts where the size bound cuts.
constexpr int64_t kVariableValueBytes = 16;

int64_t ValueBytes(const arrow::DataType& type) {
  if (type.id() == arrow::Type::DICTIONARY) {
    return ValueBytes(*static_cast<const arrow::DictionaryType&>(type).index_type());
  }
  if (type.id() == arrow::Type::BOOL) return 1;
  if (arrow::is_fixed_width(type.id())) return static_cast<const arrow::FixedWidthType&>(type).bit_width() / 8;
  if (arrow::is_large_binary_like(type.id())) return 8 + kVariableValueBytes;
  if (arrow::is_binary_like(type.id())) return 4 + kVariableValueBytes;
  return 8 + 2 * kVariableValueBytes;  // nested: offsets and a few values
}

bool JoinsOrAggregates(const PlanNode& node) {
  if (node.kind() == PlanKind::kJoin || node.kind() == PlanKind::kAggregate) return true;
  for (const auto& input : node.inputs()) {
    if (JoinsOrAggregates(*input)) return true;
  }
  return false;
}

// Counts, for every node under `node` (not below materialized ones), how many inputs of
// other nodes it is; each node is visited once. `order`: the nodes, inputs first.
void CountReaders(const PlanNode& node, const LowerOptions& done, std::map<const PlanNode*, int>* readers,
                  std::vector<const PlanNode*>* order) {
  if (done.materialized.count(&node) > 0) return;
  for (const auto& input : node.inputs()) {
    if ((*readers)[input.get()]++ == 0) CountReaders(*input, done, readers, order);
  }
  order->push_back(&node);
}

}  // namespace

const PlanNode* ScanSource(const PlanNode& node) {
  for (const PlanNode* at = &node;; at = at->input().get()) {
    switch (at->kind()) {
      case PlanKind::kSource:
        return IsBounded(*at) ? at : nullptr;
      case PlanKind::kFilter:
      case PlanKind::kProject:
      case PlanKind::kWithColumns:
      case PlanKind::kRename:
        break;
      default:
        return nullptr;
    }
  }
}

bool HoldsSharedScan(const PlanNode& node, const LoweredPlan& lowered, int64_t max_bytes) {
  const PlanNode* leaf = ScanSource(node);
  if (leaf == nullptr) return false;
  bool filters = false;
  for (const PlanNode* at = &node; at != leaf; at = at->input().get()) filters |= at->kind() == PlanKind::kFilter;
  if (!filters) return false;
  auto source = lowered.sources.find(leaf);
  auto schema = lowered.schemas.find(&node);
  if (source == lowered.sources.end() || schema == lowered.schemas.end()) return false;
  const std::optional<int64_t> rows = RowsOfFileSplits(*source->second);
  if (!rows) return false;
  int64_t row_bytes = 0;
  for (const auto& field : schema->second->fields()) row_bytes += ValueBytes(*field->type());
  // Divided, not multiplied: a huge row count cannot overflow.
  return row_bytes == 0 || *rows <= max_bytes / row_bytes;
}

std::vector<const PlanNode*> SharedSubplans(const PlanNode& body, const LoweredPlan& lowered,
                                            const LowerOptions& done) {
  std::map<const PlanNode*, int> readers;
  std::vector<const PlanNode*> order, shared;
  CountReaders(body, done, &readers, &order);
  for (const PlanNode* node : order) {
    if (readers[node] < 2) continue;
    if (JoinsOrAggregates(*node) || HoldsSharedScan(*node, lowered)) shared.push_back(node);
  }
  return shared;
}

}  // namespace sabot
