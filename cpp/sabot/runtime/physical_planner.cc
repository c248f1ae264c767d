// Lowering, node by node. Every node becomes one operator (or a source); errors are
// prefixed with the op's name as plan files spell it.
#include "sabot/runtime/physical_planner.h"

#include <algorithm>
#include <map>
#include <optional>

#include <arrow/type.h>

#include "sabot/io/parquet_source.h"
#include "sabot/io/source_factory.h"
#include "sabot/ops/changelog_aggregate.h"
#include "sabot/ops/changelog_join.h"
#include "sabot/ops/decode_dictionaries.h"
#include "sabot/ops/dict_key_grouper.h"
#include "sabot/ops/distinct.h"
#include "sabot/ops/explode.h"
#include "sabot/ops/hash_aggregate.h"
#include "sabot/ops/hash_join.h"
#include "sabot/ops/interval_join.h"
#include "sabot/ops/asof_join.h"
#include "sabot/ops/temporal_join.h"
#include "sabot/ops/window_join.h"
#include "sabot/ops/keyed_process.h"
#include "sabot/ops/late_rows.h"
#include "sabot/ops/filter.h"
#include "sabot/ops/limit.h"
#include "sabot/ops/map_batches.h"
#include "sabot/ops/project.h"
#include "sabot/ops/rows_window.h"
#include "sabot/ops/sort.h"
#include "sabot/ops/grouped_top_k.h"
#include "sabot/ops/top_k.h"
#include "sabot/ops/union.h"
#include "sabot/ops/window_aggregate.h"

namespace sabot {

namespace {

// What a lowered node hands its consumer: its schema and its output end, either a
// source (not yet bound to a consumer) or an operator.
struct Lowered {
  std::shared_ptr<arrow::Schema> schema;
  std::shared_ptr<Source> source;
  Operator* op = nullptr;
  //! With `op`: a Parquet source whose every row `op` passes on as one output row
  //! (decoded by the dictionary decoder over a scan that filters itself, projected), so
  //! a row test the scan runs stands for one on `op`'s output.
  ParquetSource* scan = nullptr;
  //! With `scan`: the output columns that are scan columns, by output name -> scan name;
  //! nullopt when every output column is the scan's column of that name.
  std::optional<std::map<std::string, std::string>> scan_names = std::nullopt;
};

std::string_view OpName(PlanKind kind) {
  switch (kind) {
    case PlanKind::kSource: return "source";
    case PlanKind::kFilter: return "filter";
    case PlanKind::kProject: return "project";
    case PlanKind::kWithColumns: return "with_columns";
    case PlanKind::kRename: return "rename";
    case PlanKind::kUnion: return "union";
    case PlanKind::kLimit: return "limit";
    case PlanKind::kExplode: return "explode";
    case PlanKind::kMapBatches: return "map_batches";
    case PlanKind::kJoin: return "join";
    case PlanKind::kAggregate: return "aggregate";
    case PlanKind::kWindowAggregate: return "window_aggregate";
    case PlanKind::kSort: return "sort";
    case PlanKind::kTopK: return "top_k";
    case PlanKind::kDistinct: return "distinct";
    case PlanKind::kSink: return "sink";
    case PlanKind::kIntervalJoin: return "interval_join";
    case PlanKind::kAsofJoin: return "asof_join";
    case PlanKind::kWindowJoin: return "window_join";
    case PlanKind::kTemporalJoin: return "temporal_join";
    case PlanKind::kLateRows: return "late_rows";
    case PlanKind::kChangelogAggregate: return "changelog_aggregate";
    case PlanKind::kKeyedProcess: return "keyed_process";
    case PlanKind::kRowsWindow: return "rows_window";
  }
  return "?";
}

class Lowering {
 public:
  explicit Lowering(LoweredPlan* out, LowerOptions options = {}) : out_(out), options_(std::move(options)) {}

  //! Source nodes lower to `source` instead of opening a new source.
  void UseSource(std::shared_ptr<Source> source) { source_override_ = std::move(source); }

  //! Decodes every dictionary key before aggregating: schemas as the plan has them.
  void DecodeEveryKey() { leave_keys_encoded_ = false; }

  //! Lowers as if for `consumer`, the node over what is lowered next (see LeaveKeysEncoded).
  void LowerFor(const PlanNode& consumer) { LeaveKeysEncoded(consumer); }

  //! `node` lowers to `entry` (whoever pushes into `entry` stands for its output).
  void Replace(const PlanNode* node, Operator* entry) {
    replaced_ = node;
    replacement_ = entry;
  }

  Result<Lowered> Lower(const PlanNode& node) {
    if (&node == replaced_) return Lowered{replacement_->output_schema(), nullptr, replacement_};
    ARROW_ASSIGN_OR_RAISE(auto lowered, LowerNode(node));
    out_->schemas[&node] = lowered.schema;
    return lowered;
  }

  //! Wires `child`'s output into input `port` of `consumer`.
  void Attach(const Lowered& child, Operator* consumer, int port) {
    if (child.source) {
      out_->physical.sources.push_back({child.source, consumer, port});
    } else {
      child.op->ConnectTo(consumer, port);
    }
  }

  Operator* Own(std::unique_ptr<Operator> op) {
    out_->physical.operators.push_back(std::move(op));
    return out_->physical.operators.back().get();
  }

 private:
  // A single-input operator over its lowered child.
  Result<Lowered> Chain(const Lowered& child, std::unique_ptr<Operator> op) {
    Operator* raw = Own(std::move(op));
    Attach(child, raw, 0);
    return Lowered{raw->output_schema(), nullptr, raw};
  }

  // Children are lowered first (their errors name their own op); errors of this
  // node's own building are prefixed with its op name.
  Result<Lowered> LowerNode(const PlanNode& node) {
    auto materialized = options_.materialized.find(&node);
    if (materialized != options_.materialized.end()) {
      return Named(node, [&]() -> Result<Lowered> {
        if (source_override_) return Lowered{source_override_->schema(), source_override_, nullptr};
        SourceSpec spec;
        spec.kind = SourceSpec::Kind::kMemory;
        spec.table = materialized->second;
        ARROW_ASSIGN_OR_RAISE(auto source, MakeSource(spec));
        out_->sources[&node] = source;
        return Lowered{source->schema(), source, nullptr};
      });
    }
    if (node.kind() == PlanKind::kSource) {
      return Named(node, [&]() -> Result<Lowered> {
        if (source_override_) return Lowered{source_override_->schema(), source_override_, nullptr};
        ARROW_ASSIGN_OR_RAISE(auto source, MakeSource(static_cast<const SourceNode&>(node).spec));
        ReadKeysAsDictionaries(node, source.get());
        out_->sources[&node] = source;
        return Lowered{source->schema(), source, nullptr};
      });
    }
    if (IsChangelogJoin(node)) {
      return LowerTwoInputs(node, [&](const Lowered& left, const Lowered& right) {
        return MakeChangelogJoin(left.schema, right.schema, static_cast<const JoinNode&>(node).spec);
      });
    }
    if (node.kind() == PlanKind::kJoin) {
      const auto& spec = static_cast<const JoinNode&>(node).spec;
      ARROW_ASSIGN_OR_RAISE(auto left, Lower(*node.inputs()[0]));
      auto built = options_.built_joins.find(&node);
      if (built != options_.built_joins.end()) {
        return Named(node, [&]() -> Result<Lowered> {
          ARROW_ASSIGN_OR_RAISE(auto probe, MakeHashJoinProbe(left.schema, spec, built->second));
          ARROW_RETURN_NOT_OK(TestJoinKeysInScan(node, spec, left, built->second,
                                                 options_.metrics ? options_.metrics->Find(&node) : nullptr));
          return Chain(left, std::move(probe));
        });
      }
      ARROW_ASSIGN_OR_RAISE(auto right, Lower(*node.inputs()[1]));
      return Named(node, [&]() -> Result<Lowered> {
        ARROW_ASSIGN_OR_RAISE(auto join, MakeHashJoin(left.schema, right.schema, spec, options_.memory));
        Operator* op = Own(std::move(join));
        Attach(left, op, 0);
        Attach(right, op, 1);
        return Lowered{op->output_schema(), nullptr, op};
      });
    }
    if (node.kind() == PlanKind::kIntervalJoin) {
      return LowerTwoInputs(node, [&](const Lowered& left, const Lowered& right) {
        return MakeIntervalJoin(left.schema, right.schema, static_cast<const IntervalJoinNode&>(node).spec);
      });
    }
    if (node.kind() == PlanKind::kAsofJoin) {
      return LowerTwoInputs(node, [&](const Lowered& left, const Lowered& right) {
        return MakeAsofJoin(left.schema, right.schema, static_cast<const AsofJoinNode&>(node).spec);
      });
    }
    if (node.kind() == PlanKind::kWindowJoin) {
      return LowerTwoInputs(node, [&](const Lowered& left, const Lowered& right) {
        return MakeWindowJoin(left.schema, right.schema, static_cast<const WindowJoinNode&>(node).spec);
      });
    }
    if (node.kind() == PlanKind::kTemporalJoin) {
      return LowerTwoInputs(node, [&](const Lowered& left, const Lowered& right) {
        return MakeTemporalJoin(left.schema, right.schema, static_cast<const TemporalJoinNode&>(node).spec);
      });
    }
    if (node.kind() == PlanKind::kUnion) {
      std::vector<Lowered> children;
      std::vector<std::shared_ptr<arrow::Schema>> schemas;
      for (const auto& input : node.inputs()) {
        ARROW_ASSIGN_OR_RAISE(auto child, Lower(*input));
        schemas.push_back(child.schema);
        children.push_back(std::move(child));
      }
      return Named(node, [&]() -> Result<Lowered> {
        ARROW_RETURN_NOT_OK(CheckUnionSchemas(schemas));
        Operator* op = Own(std::make_unique<UnionOperator>(schemas.front(), static_cast<int>(children.size())));
        for (size_t i = 0; i < children.size(); ++i) Attach(children[i], op, static_cast<int>(i));
        return Lowered{op->output_schema(), nullptr, op};
      });
    }
    if (node.kind() == PlanKind::kLateRows) return LowerLateRows(node);
    SABOT_CHECK(node.kind() != PlanKind::kSink);  // the caller lowers the sink itself
    LeaveKeysEncoded(node);
    ARROW_ASSIGN_OR_RAISE(auto child, Lower(*node.input()));
    std::erase_if(keys_left_encoded_, [&](const auto& noted) { return noted.second.aggregate == &node; });
    return Named(node, [&] { return LowerSingleInput(node, child); });
  }

  // A two-input operator (input 0 left, 1 right) that `make(left, right)` builds.
  template <typename Make>
  Result<Lowered> LowerTwoInputs(const PlanNode& node, Make&& make) {
    ARROW_ASSIGN_OR_RAISE(auto left, Lower(*node.inputs()[0]));
    ARROW_ASSIGN_OR_RAISE(auto right, Lower(*node.inputs()[1]));
    return Named(node, [&]() -> Result<Lowered> {
      ARROW_ASSIGN_OR_RAISE(std::unique_ptr<Operator> join, make(left, right));
      Operator* op = Own(std::move(join));
      Attach(left, op, 0);
      Attach(right, op, 1);
      return Lowered{op->output_schema(), nullptr, op};
    });
  }

  // The window below is lowered here, not by Lower(), so that its late sink can feed the
  // side output, which stands in for the window's results.
  Result<Lowered> LowerLateRows(const PlanNode& node) {
    const auto& win = static_cast<const WindowAggregateNode&>(*node.input());
    ARROW_ASSIGN_OR_RAISE(auto child, Lower(*win.input()));
    return Named(node, [&]() -> Result<Lowered> {
      auto late = std::make_unique<LateRowsOperator>(child.schema);
      LateRowsOperator* side = late.get();
      WindowAggregateOptions options;
      options.late_sink = [side](std::shared_ptr<arrow::RecordBatch> rows) { return side->EmitLate(std::move(rows)); };
      ARROW_ASSIGN_OR_RAISE(auto window, MakeWindowAggregate(child.schema, win.window, win.keys, win.aggregates,
                                                             std::move(options)));
      if (options_.metrics != nullptr) window->SetMetrics(options_.metrics->Find(&win));
      ARROW_ASSIGN_OR_RAISE(auto windowed, Chain(child, std::move(window)));
      out_->schemas[&win] = windowed.schema;
      return Chain(windowed, std::move(late));
    });
  }

  // Late decoding of group keys: a bounded aggregate whose keys come unchanged from a
  // filter over a Parquet source, or from a Parquet source without one
  // (ReadKeysAsDictionaries), through projections that only pass them on, groups the
  // keys read as dictionaries as they are (DictKeyGrouper: per dictionary entry, not per
  // row) and outputs them as their values, the types the plan has. No key string is
  // copied per row, neither decoding nor grouping. The aggregate's keys are noted for
  // that filter (LowerFilter decides, knowing how the source reads them) while its
  // input is lowered. Not under a memory budget: spilling partitions plain keys only.
  void LeaveKeysEncoded(const PlanNode& node) {
    if (!leave_keys_encoded_ || node.kind() != PlanKind::kAggregate) return;
    if (options_.memory != nullptr && !options_.memory->unlimited()) return;
    const auto& aggregate = static_cast<const AggregateNode&>(node);
    if (!MayTakeKeysEncoded(aggregate)) return;
    for (const PlanNode* below = node.input().get();; below = below->input().get()) {
      if (options_.materialized.count(below) > 0 || below == replaced_) return;
      if (below->kind() == PlanKind::kFilter || below->kind() == PlanKind::kSource) {
        keys_left_encoded_[below] = {&aggregate, aggregate.keys};
        return;
      }
      if (!PassesKeysOn(*below, aggregate.keys)) return;
    }
  }

  // Late decoding of group keys read from a Parquet source without a filter (none to
  // decode after it): the source reads the keys noted for it as dictionaries, where the
  // file stores them so, and every other column as before. For an aggregate's own note
  // (LeaveKeysEncoded) only when DictKeyGrouper takes every key as the source will read
  // it; PlanKeysEncodedAcrossJoins checked its notes so. A string grouped by a bare scan
  // was decoded, then hashed per row: TPC-H SF1 lineitem grouped by l_shipmode took
  // twice as long as with a filter in front (272 against 137 ms, one thread).
  void ReadKeysAsDictionaries(const PlanNode& node, Source* source) {
    auto* parquet = dynamic_cast<ParquetSource*>(source);
    if (parquet == nullptr) return;
    std::vector<std::string> keys;
    if (auto planned = options_.scans_leaving_keys_encoded.find(&node);
        planned != options_.scans_leaving_keys_encoded.end()) {
      keys = planned->second;
    } else if (auto noted = keys_left_encoded_.find(&node); noted != keys_left_encoded_.end()) {
      keys = noted->second.keys;
      if (!GroupsEncodedKeys(parquet->TypesReadAsDictionaries(keys))) return;
      out_->aggregates_decoding_keys.insert(noted->second.aggregate);
    } else {
      return;
    }
    std::vector<std::string> others;
    for (const auto& field : parquet->plain_schema()->fields()) {
      if (std::find(keys.begin(), keys.end(), field->name()) == keys.end()) others.push_back(field->name());
    }
    parquet->ReadDictionaryStringsAsDictionaries(others);
  }

  // The schema the filter over `parquet` decodes its output to: plain, but for the keys
  // LeaveKeysEncoded noted for `filter` when DictKeyGrouper takes them as read.
  std::shared_ptr<arrow::Schema> DecodedSchema(const PlanNode& filter, const ParquetSource& parquet) {
    const auto& plain = parquet.plain_schema();
    const auto& read = *parquet.schema();
    // Keys an aggregate takes encoded across joins (PlanKeysEncodedAcrossJoins), which
    // checked that the source reads them so.
    auto with_read_keys = [&](const std::vector<std::string>& keys) {
      auto fields = plain->fields();
      for (const auto& key : keys) {
        const int index = read.GetFieldIndex(key);
        if (index >= 0) fields[static_cast<size_t>(index)] = read.field(index);
      }
      return arrow::schema(std::move(fields), plain->metadata());
    };
    if (auto planned = options_.scans_leaving_keys_encoded.find(&filter);
        planned != options_.scans_leaving_keys_encoded.end()) {
      return with_read_keys(planned->second);
    }
    auto noted = keys_left_encoded_.find(&filter);
    if (noted == keys_left_encoded_.end()) return plain;
    std::vector<std::shared_ptr<arrow::DataType>> types;
    for (const auto& key : noted->second.keys) {
      const int index = read.GetFieldIndex(key);
      if (index < 0) return plain;  // not a source column (or ambiguous)
      types.push_back(read.field(index)->type());
    }
    if (!GroupsEncodedKeys(types)) return plain;
    out_->aggregates_decoding_keys.insert(noted->second.aggregate);
    return with_read_keys(noted->second.keys);
  }

  template <typename Build>
  Result<Lowered> Named(const PlanNode& node, Build&& build) {
    Result<Lowered> lowered = build();
    if (!lowered.ok()) {
      return lowered.status().WithMessage("in ", OpName(node.kind()), ": ", lowered.status().message());
    }
    // A node lowered to several operators set their metrics itself.
    if (lowered->op != nullptr && options_.metrics != nullptr && lowered->op->metrics() == nullptr) {
      lowered->op->SetMetrics(options_.metrics->Find(&node));
    }
    return lowered;
  }

  // Late materialization: a filter right over a Parquet source has the source read the
  // dictionary-encoded string columns its predicate does not use as dictionaries, and
  // decodes them after filtering, so only the strings of the rows that pass are copied.
  // The source tests the rows itself (ParquetSource::FilterRows), decoding the columns
  // the predicate does not read at the rows that pass only, and no Filter operator is
  // made. (The copies of a parallel run share the source, already switched by the first.)
  Result<Lowered> LowerFilter(const FilterNode& node, const Lowered& child) {
    auto* parquet = dynamic_cast<ParquetSource*>(child.source.get());
    if (parquet != nullptr && source_override_ == nullptr) {
      // A column that conjuncts test alone stays a dictionary too: they are evaluated
      // per dictionary entry (MakeFilterOverDictionaries).
      std::vector<std::string> plain, tested;
      for (const auto& conjunct : Conjuncts(node.predicate)) {
        auto refs = conjunct.ColumnRefs();
        auto& into = refs.size() > 1 ? plain : tested;
        into.insert(into.end(), refs.begin(), refs.end());
      }
      parquet->ReadDictionaryStringsAsDictionaries(plain, tested);
    }
    auto* metrics = options_.metrics ? options_.metrics->Find(&node) : nullptr;
    const bool in_scan = parquet != nullptr && (source_override_ == nullptr
                                                    ? parquet->filtered_by() == nullptr && !node.predicate.ColumnRefs().empty()
                                                    : parquet->filtered_by() == &node);
    const bool decode = parquet != nullptr && !parquet->schema()->Equals(*parquet->plain_schema());
    if (!decode && !in_scan) {
      ARROW_ASSIGN_OR_RAISE(auto op, MakeFilter(child.schema, node.predicate));
      return Chain(child, std::move(op));
    }
    auto decoded = DecodedSchema(node, *parquet);
    const bool decodes = !decoded->Equals(*parquet->schema());
    Lowered filtered{parquet->schema(), child.source, nullptr};
    if (in_scan && source_override_ == nullptr) {
      ARROW_RETURN_NOT_OK(parquet->FilterRows(node.predicate, &node, metrics));
    } else if (!in_scan) {
      ARROW_ASSIGN_OR_RAISE(auto filter, MakeFilterOverDictionaries(parquet->schema(), node.predicate));
      filter->SetMetrics(metrics, /*counts_input=*/true, /*counts_output=*/!decodes);
      ARROW_ASSIGN_OR_RAISE(filtered, Chain(filtered, std::move(filter)));
    }
    if (!decodes) return filtered;
    auto decoder = std::make_unique<DecodeDictionariesOperator>(std::move(decoded));
    // The scan counts the rows that pass its filter itself: the decoder may see fewer
    // (those a join's key test there drops too).
    decoder->SetMetrics(metrics, /*counts_input=*/false, /*counts_output=*/!in_scan);
    ARROW_ASSIGN_OR_RAISE(auto lowered, Chain(filtered, std::move(decoder)));
    if (filtered.op == nullptr) lowered.scan = parquet;
    return lowered;
  }

  // A join probed straight from a Parquet scan (or from a filter the scan runs, its
  // strings decoded after it: Lowered::scan) whose
  // unmatched probe rows are dropped anyway has the scan drop the rows whose key no build
  // row shares a hash with, before it decodes the other columns
  // (ParquetSource::FilterRowsByJoinKeys). The first copy of a parallel run sets it on
  // the source they share, before any split is opened.
  static Status TestJoinKeysInScan(const PlanNode& node, const JoinSpec& spec, const Lowered& left,
                                   const JoinBuildSide& built, OperatorMetrics* metrics) {
    auto* parquet = left.op == nullptr ? dynamic_cast<ParquetSource*>(left.source.get()) : left.scan;
    if (parquet == nullptr || KeepsUnmatchedLeft(spec.type) || parquet->joined_by() != nullptr) {
      return Status::OK();
    }
    std::vector<std::string> keys = spec.left_keys;
    if (left.op != nullptr && left.scan_names) {
      for (auto& key : keys) {
        auto it = left.scan_names->find(key);
        if (it == left.scan_names->end()) return Status::OK();  // computed above the scan
        key = it->second;
      }
    }
    return parquet->FilterRowsByJoinKeys(built.table, keys, &node, metrics);
  }

  // A projection passes each row of its input on as one row, so a scan under it stays
  // `lowered`'s scan, its columns known by the names the projection gives them (TPC-H
  // Q21 probes lineitem renamed to other_orderkey).
  static void ScanThroughProjection(const std::vector<NamedExpr>& columns, const Lowered& child, Lowered* lowered) {
    auto* parquet = child.op == nullptr ? dynamic_cast<ParquetSource*>(child.source.get()) : child.scan;
    if (parquet == nullptr) return;
    std::map<std::string, std::string> names;
    for (const auto& column : columns) {
      if (column.expr.kind() != Expr::Kind::kColumn) continue;
      const std::string& read = column.expr.column_name();
      if (!child.scan_names) {
        names[column.name] = read;
      } else if (auto it = child.scan_names->find(read); it != child.scan_names->end()) {
        names[column.name] = it->second;
      }
    }
    lowered->scan = parquet;
    lowered->scan_names = std::move(names);
  }

  // A filter lowered right under a projection feeds it alone (each consumer of a plan
  // node lowers operators of its own), so it can drop the columns the projection does
  // not read before it copies the rows that pass (see FilterOperator::KeepOnly).
  static Status KeepWhatTheProjectionReads(const std::vector<NamedExpr>& columns, const Lowered& child) {
    auto* filter = dynamic_cast<FilterOperator*>(child.op);
    if (filter == nullptr) return Status::OK();
    const arrow::Schema& input = *filter->output_schema();
    std::vector<bool> read(static_cast<size_t>(input.num_fields()), false);
    for (const auto& column : columns) {
      for (const auto& name : column.expr.ColumnRefs()) {
        const auto found = input.GetAllFieldIndices(name);
        if (found.size() != 1) return Status::OK();  // unknown or ambiguous: MakeProject reports it
        read[static_cast<size_t>(found.front())] = true;
      }
    }
    std::vector<int> keep;
    for (int i = 0; i < input.num_fields(); ++i) {
      if (read[static_cast<size_t>(i)]) keep.push_back(i);
    }
    if (keep.empty() || keep.size() == read.size()) return Status::OK();
    return filter->KeepOnly(std::move(keep));
  }

  Result<Lowered> LowerSingleInput(const PlanNode& node, const Lowered& child) {
    const auto& schema = child.schema;
    switch (node.kind()) {
      case PlanKind::kFilter:
        return LowerFilter(static_cast<const FilterNode&>(node), child);
      case PlanKind::kProject: {
        const auto& columns = static_cast<const ProjectNode&>(node).columns;
        ARROW_RETURN_NOT_OK(KeepWhatTheProjectionReads(columns, child));
        ARROW_ASSIGN_OR_RAISE(auto op, MakeProject(child.op ? child.op->output_schema() : schema, columns));
        ARROW_ASSIGN_OR_RAISE(auto lowered, Chain(child, std::move(op)));
        ScanThroughProjection(columns, child, &lowered);
        return lowered;
      }
      case PlanKind::kWithColumns: {
        auto columns = WithColumnsProjection(*schema, static_cast<const WithColumnsNode&>(node).columns);
        ARROW_ASSIGN_OR_RAISE(auto op, MakeProject(schema, columns));
        return Chain(child, std::move(op));
      }
      case PlanKind::kRename: {
        ARROW_ASSIGN_OR_RAISE(auto columns,
                              RenameProjection(*schema, static_cast<const RenameNode&>(node).renames));
        ARROW_ASSIGN_OR_RAISE(auto op, MakeProject(schema, columns));
        return Chain(child, std::move(op));
      }
      case PlanKind::kLimit: {
        const auto& limit = static_cast<const LimitNode&>(node);
        if (limit.count < 0 || limit.offset < 0) {
          return Status::Invalid("count and offset must not be negative, found count ", limit.count,
                                 " offset ", limit.offset);
        }
        auto state = std::make_shared<LimitState>(limit.count, limit.offset);
        return Chain(child, std::make_unique<LimitOperator>(schema, std::move(state)));
      }
      case PlanKind::kExplode: {
        ARROW_ASSIGN_OR_RAISE(auto op, MakeExplode(schema, static_cast<const ExplodeNode&>(node).column));
        return Chain(child, std::move(op));
      }
      case PlanKind::kAggregate: {
        const auto& agg = static_cast<const AggregateNode&>(node);
        if (!IsBounded(*node.input())) {
          // Over an endless input the end never comes: emit each change as it happens.
          ARROW_ASSIGN_OR_RAISE(auto op, MakeChangelogAggregate(schema, agg.keys, agg.aggregates));
          return Chain(child, std::move(op));
        }
        if (options_.aggregates_decoding_joined_keys.count(&agg) > 0) out_->aggregates_decoding_keys.insert(&agg);
        ARROW_ASSIGN_OR_RAISE(auto op, MakeHashAggregate(schema, agg.keys, agg.aggregates, options_.memory,
                                                         out_->aggregates_decoding_keys.count(&agg) > 0));
        return Chain(child, std::move(op));
      }
      case PlanKind::kKeyedProcess: {
        const auto& process = static_cast<const KeyedProcessNode&>(node);
        KeyedProcessOptions options;
        options.state_ttl_us = process.state_ttl_us;
        ARROW_ASSIGN_OR_RAISE(auto op, MakeKeyedProcess(schema, process.keys, process.factory->Make(), options));
        return Chain(child, std::move(op));
      }
      case PlanKind::kRowsWindow: {
        const auto& win = static_cast<const RowsWindowNode&>(node);
        ARROW_ASSIGN_OR_RAISE(auto op, MakeRowsWindow(schema, win.keys, win.rows, win.aggregates));
        return Chain(child, std::move(op));
      }
      case PlanKind::kChangelogAggregate: {
        const auto& agg = static_cast<const ChangelogAggregateNode&>(node);
        ARROW_ASSIGN_OR_RAISE(auto op, MakeChangelogAggregate(schema, agg.keys, agg.aggregates,
                                                              {agg.state_ttl_us, agg.time_column}));
        return Chain(child, std::move(op));
      }
      case PlanKind::kWindowAggregate: {
        const auto& win = static_cast<const WindowAggregateNode&>(node);
        ARROW_ASSIGN_OR_RAISE(auto op, MakeWindowAggregate(schema, win.window, win.keys, win.aggregates));
        return Chain(child, std::move(op));
      }
      case PlanKind::kSort: {
        ARROW_ASSIGN_OR_RAISE(auto op, MakeSort(schema, static_cast<const SortNode&>(node).keys, options_.memory));
        return Chain(child, std::move(op));
      }
      case PlanKind::kTopK: {
        const auto& top = static_cast<const TopKNode&>(node);
        if (top.with_ties && top.per.empty()) {
          return Status::Invalid("top-k with ties needs group columns (per=)");
        }
        ARROW_ASSIGN_OR_RAISE(auto op, top.per.empty()
                                           ? MakeTopK(schema, top.keys, top.k)
                                           : MakeGroupedTopK(schema, top.per, top.keys, top.k, top.with_ties));
        return Chain(child, std::move(op));
      }
      case PlanKind::kDistinct: {
        ARROW_ASSIGN_OR_RAISE(auto op, MakeDistinct(schema, static_cast<const DistinctNode&>(node).columns));
        return Chain(child, std::move(op));
      }
      case PlanKind::kMapBatches: {
        ARROW_ASSIGN_OR_RAISE(auto op, MakeMapBatches(schema, static_cast<const MapBatchesNode&>(node).function));
        return Chain(child, std::move(op));
      }
      default:
        return Status::UnknownError("internal error (a bug in sabot): cannot lower ", node.Describe());
    }
  }

  LoweredPlan* out_;
  LowerOptions options_;
  std::shared_ptr<Source> source_override_;
  struct KeysLeftEncoded {
    const AggregateNode* aggregate;
    std::vector<std::string> keys;
  };
  std::map<const PlanNode*, KeysLeftEncoded> keys_left_encoded_;  // by filter, see LeaveKeysEncoded
  bool leave_keys_encoded_ = true;
  const PlanNode* replaced_ = nullptr;
  Operator* replacement_ = nullptr;
};

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

Status CheckIsSink(const PlanNode& root) {
  if (root.kind() != PlanKind::kSink) {
    return Status::Invalid("a plan must end in a sink (print, collect, count or a file), but ends in ",
                           OpName(root.kind()));
  }
  return Status::OK();
}

}  // namespace

Result<LoweredPlan> LowerPlan(const PlanNode& root, SinkOutput* output, const LowerOptions& options) {
  ARROW_RETURN_NOT_OK(CheckIsSink(root));
  const auto& spec = static_cast<const SinkNode&>(root).spec;
  ARROW_ASSIGN_OR_RAISE(auto lowered, LowerPlanWithSink(*root.input(), [&](const std::shared_ptr<arrow::Schema>& schema) {
    return MakeSink(spec, schema, output);
  }, options));
  lowered.schemas[&root] = lowered.physical.sink->output_schema();
  if (options.metrics != nullptr) lowered.physical.sink->SetMetrics(options.metrics->Find(&root));
  return lowered;
}

namespace {

void AddMetricSlots(const PlanNode& node, int depth, PlanMetrics* metrics) {
  metrics->Add(&node, node.Describe(), depth);
  for (const auto& input : node.inputs()) AddMetricSlots(*input, depth + 1, metrics);
}

}  // namespace

bool MayTakeKeysEncoded(const AggregateNode& aggregate) {
  if (aggregate.keys.empty() || !IsBounded(*aggregate.input())) return false;
  return std::none_of(aggregate.aggregates.begin(), aggregate.aggregates.end(),
                      [&](const AggregateSpec& spec) { return Contains(aggregate.keys, spec.column); });
}

bool PassesKeysOn(const PlanNode& node, const std::vector<std::string>& keys) {
  auto reads_key = [&](const NamedExpr& column) {
    const auto refs = column.expr.ColumnRefs();
    return std::any_of(refs.begin(), refs.end(), [&](const std::string& ref) { return Contains(keys, ref); });
  };
  switch (node.kind()) {
    case PlanKind::kWithColumns:
      for (const auto& column : static_cast<const WithColumnsNode&>(node).columns) {
        if (Contains(keys, column.name) || reads_key(column)) return false;
      }
      return true;
    case PlanKind::kProject:
      for (const auto& column : static_cast<const ProjectNode&>(node).columns) {
        // A key may only pass through under its own name.
        if (column.expr.kind() == Expr::Kind::kColumn && column.expr.column_name() == column.name) continue;
        if (Contains(keys, column.name) || reads_key(column)) return false;
      }
      return true;
    default:
      return false;
  }
}

bool GroupsEncodedKeys(const std::vector<std::shared_ptr<arrow::DataType>>& types) {
  const bool any_dictionary = std::any_of(types.begin(), types.end(), [](const auto& type) {
    return type->id() == arrow::Type::DICTIONARY;
  });
  return any_dictionary && IsDictKeyGroupable(types);
}

std::shared_ptr<PlanMetrics> MakePlanMetrics(const PlanNode& root) {
  auto metrics = std::make_shared<PlanMetrics>();
  AddMetricSlots(root, 0, metrics.get());
  return metrics;
}

Result<LoweredPlan> LowerPlanWithSink(const PlanNode& body, const SinkFactory& make_sink,
                                      const LowerOptions& options) {
  if (body.kind() == PlanKind::kSink) {
    return Status::Invalid("this plan already ends in a sink (", body.Describe(), ")");
  }
  LoweredPlan out;
  Lowering lowering(&out, options);
  ARROW_ASSIGN_OR_RAISE(auto child, lowering.Lower(body));
  auto sink = make_sink(child.schema);
  if (!sink.ok()) return sink.status().WithMessage("in sink: ", sink.status().message());
  Sink* raw = sink->get();
  SABOT_CHECK(raw != nullptr);
  lowering.Attach(child, lowering.Own(std::move(*sink)), 0);
  out.physical.sink = raw;
  return out;
}

namespace {

// Whether `top` is a chain ParallelShape describes; fills its leaf and joins.
bool IsParallelChain(const PlanNode& top, const LowerOptions& done, ParallelShape* shape) {
  shape->top = &top;
  shape->joins.clear();
  for (const PlanNode* node = &top;; node = node->inputs().front().get()) {
    if (done.materialized.count(node) > 0) {
      shape->leaf = node;
      return true;
    }
    switch (node->kind()) {
      case PlanKind::kSource:
        shape->leaf = node;
        return IsBounded(*node);
      case PlanKind::kFilter:
      case PlanKind::kProject:
      case PlanKind::kWithColumns:
      case PlanKind::kRename:
      case PlanKind::kExplode:
        break;
      case PlanKind::kJoin: {
        if (!CanBuildFirst(*node)) return false;
        shape->joins.push_back(node);
        break;
      }
      default:
        return false;
    }
  }
}

}  // namespace

bool CanBuildFirst(const PlanNode& join) {
  // Right and full joins too: their probe copies share which build rows matched, and the
  // executors end one copy once all are done, which emits the unmatched rows.
  return join.kind() == PlanKind::kJoin && !IsChangelogJoin(join) && IsBounded(*join.inputs()[1]);
}

std::optional<ParallelShape> FindParallelShape(const PlanNode& body, const LowerOptions& done) {
  ParallelShape shape;
  if (IsParallelChain(body, done, &shape)) return shape;
  // A built join lowers to a probe over its left input alone, so it continues the walk.
  auto single_input = [&](const PlanNode* node) {
    if (done.materialized.count(node) > 0) return false;
    return node->inputs().size() == 1 || done.built_joins.count(node) > 0;
  };
  for (const PlanNode* node = &body; single_input(node); node = node->inputs().front().get()) {
    if (node->kind() == PlanKind::kAggregate && IsParallelChain(*node->input(), done, &shape)) {
      shape.aggregate = static_cast<const AggregateNode*>(node);
      return shape;
    }
    // A sort reads everything anyway, so nothing is computed in vain (unlike below a limit).
    const bool sorts = node->kind() == PlanKind::kSort || node->kind() == PlanKind::kTopK;
    if (sorts && IsParallelChain(*node->input(), done, &shape)) {
      shape.sort = node;
      return shape;
    }
  }
  return std::nullopt;
}

Result<std::vector<std::unique_ptr<Operator>>> LowerPlanAbove(const PlanNode& body, const PlanNode& stage,
                                                              Operator* entry, Sink* sink,
                                                              const LowerOptions& options) {
  LoweredPlan out;
  Lowering lowering(&out, options);
  lowering.Replace(&stage, entry);
  ARROW_ASSIGN_OR_RAISE(auto tail, lowering.Lower(body));
  // Everything above `stage` is single-input, so nothing below it was lowered.
  SABOT_CHECK(tail.op != nullptr && out.physical.sources.empty());
  tail.op->ConnectTo(sink, 0);
  return std::move(out.physical.operators);
}

Result<LoweredPlan> LowerPlanInto(const PlanNode& body, Sink* sink, const LowerOptions& options) {
  LoweredPlan out;
  Lowering lowering(&out, options);
  ARROW_ASSIGN_OR_RAISE(auto tail, lowering.Lower(body));
  lowering.Attach(tail, sink, 0);
  out.physical.sink = sink;
  return out;
}

Result<OperatorChain> LowerOperatorChain(const PlanNode& body, std::shared_ptr<Source> source,
                                         const LowerOptions& options, const PlanNode* consumer) {
  LoweredPlan out;
  Lowering lowering(&out, options);
  lowering.UseSource(std::move(source));
  if (consumer != nullptr) lowering.LowerFor(*consumer);
  ARROW_ASSIGN_OR_RAISE(auto tail, lowering.Lower(body));
  OperatorChain chain;
  if (tail.op != nullptr) {
    SABOT_CHECK(out.physical.sources.size() == 1);
    chain.head = out.physical.sources.front().target;
    chain.tail = tail.op;
  }
  chain.operators = std::move(out.physical.operators);
  return chain;
}

Result<std::map<const PlanNode*, std::shared_ptr<arrow::Schema>>> ResolveSchemas(const PlanNode& root) {
  ARROW_RETURN_NOT_OK(CheckIsSink(root));
  LoweredPlan out;
  Lowering lowering(&out);
  lowering.DecodeEveryKey();  // explain shows the plan's types, not how keys are read
  ARROW_ASSIGN_OR_RAISE(auto child, lowering.Lower(*root.input()));
  out.schemas[&root] = child.schema;
  return std::move(out.schemas);
}

}  // namespace sabot
