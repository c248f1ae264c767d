// PlanKeysEncodedAcrossJoins: walks from each aggregate down to where its keys are read.
#include "sabot/runtime/keys_across_joins.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <arrow/type.h>

#include "sabot/io/parquet_source.h"

namespace sabot {

namespace {

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// How many nodes read each node under `node` (the body itself counts once).
void CountReaders(const PlanNode& node, std::map<const PlanNode*, int>* readers) {
  for (const auto& input : node.inputs()) {
    if (++(*readers)[input.get()] == 1) CountReaders(*input, readers);
  }
}

void CollectAggregates(const PlanNode& node, const LowerOptions& done, std::set<const AggregateNode*>* found) {
  if (done.materialized.count(&node) > 0) return;
  if (node.kind() == PlanKind::kAggregate) found->insert(static_cast<const AggregateNode*>(&node));
  for (const auto& input : node.inputs()) CollectAggregates(*input, done, found);
}

// One aggregate's keys traced down to the scans that read them.
class KeyTrace {
 public:
  KeyTrace(const LoweredPlan& lowered, const LowerOptions& done, const std::map<const PlanNode*, int>& readers)
      : lowered_(lowered), done_(done), readers_(readers) {}

  //! Whether every one of `keys`, columns of `node`'s output, reaches a filter over a
  //! Parquet source, or a Parquet source, unchanged; `crossed`: a join was passed on the
  //! way from the aggregate (without one, Lowering's own LeaveKeysEncoded decides).
  bool Trace(const PlanNode* node, const std::vector<std::string>& keys, bool crossed) {
    for (;; node = node->input().get()) {
      if (done_.materialized.count(node) > 0 || readers_.at(node) > 1) return false;
      switch (node->kind()) {
        case PlanKind::kJoin:
          return TraceJoin(*node, keys);
        case PlanKind::kFilter:
          return crossed && ReadAtFilter(*node, keys);
        case PlanKind::kSource:
          return crossed && ReadAtSource(*node, keys);
        default:
          if (!PassesKeysOn(*node, keys)) return false;
      }
    }
  }

  //! The scans (filters over Parquet, or Parquet sources) the keys were traced to, and
  //! each key's type as read.
  const std::map<const PlanNode*, std::vector<std::string>>& scans() const { return scans_; }
  const std::vector<std::shared_ptr<arrow::DataType>>& types() const { return types_; }

 private:
  // Each key goes on down the side whose column it is: a join emits the left columns under
  // their names and the right ones after them, suffixed where a left column has the name.
  bool TraceJoin(const PlanNode& join, const std::vector<std::string>& keys) {
    if (!CanBuildFirst(join)) return false;
    const JoinSpec& spec = static_cast<const JoinNode&>(join).spec;
    auto left_schema = lowered_.schemas.find(join.inputs()[0].get());
    auto right_schema = lowered_.schemas.find(join.inputs()[1].get());
    if (left_schema == lowered_.schemas.end() || right_schema == lowered_.schemas.end()) return false;
    std::vector<std::string> left, right;
    for (const auto& key : keys) {
      // The join hashes and compares its key columns as they are.
      if (Contains(spec.left_keys, key) || Contains(spec.right_keys, key)) return false;
      if (spec.residual && Contains(spec.residual->ColumnRefs(), key)) return false;
      const bool in_left = left_schema->second->GetFieldIndex(key) >= 0;
      const bool in_right = right_schema->second->GetFieldIndex(key) >= 0;
      if (in_left && !OutputsRightOnly(spec.type)) {
        left.push_back(key);
      } else if (in_right && !OutputsLeftOnly(spec.type)) {
        right.push_back(key);
      } else {
        return false;
      }
    }
    return (left.empty() || Trace(join.inputs()[0].get(), left, true)) &&
           (right.empty() || Trace(join.inputs()[1].get(), right, true));
  }

  const ParquetSource* ParquetOf(const PlanNode& source) const {
    auto found = lowered_.sources.find(&source);
    return found == lowered_.sources.end() ? nullptr : dynamic_cast<const ParquetSource*>(found->second.get());
  }

  bool ReadAtFilter(const PlanNode& filter, const std::vector<std::string>& keys) {
    const PlanNode& below = *filter.input();
    if (below.kind() != PlanKind::kSource || readers_.at(&below) > 1) return false;
    const ParquetSource* parquet = ParquetOf(below);
    if (parquet == nullptr) return false;
    // Its read schema, as the filter's lowering set it (ReadDictionaryStringsAsDictionaries).
    for (const auto& key : keys) {
      const int index = parquet->schema()->GetFieldIndex(key);
      if (index < 0) return false;
      types_.push_back(parquet->schema()->field(index)->type());
    }
    Note(filter, keys);
    return true;
  }

  // A source without a filter reads the keys as dictionaries where the file stores them
  // with small ones (Lowering's ReadKeysAsDictionaries), the rest as the plan has them.
  bool ReadAtSource(const PlanNode& source, const std::vector<std::string>& keys) {
    const ParquetSource* parquet = ParquetOf(source);
    if (parquet == nullptr) return false;
    const auto types = parquet->TypesReadAsDictionaries(keys);
    if (types.empty()) return false;
    types_.insert(types_.end(), types.begin(), types.end());
    Note(source, keys);
    return true;
  }

  void Note(const PlanNode& scan, const std::vector<std::string>& keys) {
    auto& noted = scans_[&scan];
    noted.insert(noted.end(), keys.begin(), keys.end());
  }

  const LoweredPlan& lowered_;
  const LowerOptions& done_;
  const std::map<const PlanNode*, int>& readers_;
  std::map<const PlanNode*, std::vector<std::string>> scans_;
  std::vector<std::shared_ptr<arrow::DataType>> types_;
};

}  // namespace

void PlanKeysEncodedAcrossJoins(const PlanNode& body, const LoweredPlan& lowered, LowerOptions* done) {
  std::map<const PlanNode*, int> readers{{&body, 1}};
  CountReaders(body, &readers);
  std::set<const AggregateNode*> aggregates;
  CollectAggregates(body, *done, &aggregates);
  for (const AggregateNode* aggregate : aggregates) {
    if (!MayTakeKeysEncoded(*aggregate)) continue;
    KeyTrace trace(lowered, *done, readers);
    if (!trace.Trace(aggregate->input().get(), aggregate->keys, /*crossed=*/false)) continue;
    if (!GroupsEncodedKeys(trace.types())) continue;
    for (const auto& [scan, columns] : trace.scans()) {
      auto& noted = done->scans_leaving_keys_encoded[scan];
      noted.insert(noted.end(), columns.begin(), columns.end());
    }
    done->aggregates_decoding_joined_keys.insert(aggregate);
  }
}

}  // namespace sabot
