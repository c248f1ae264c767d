// Plan <-> JSON. Readers check every field's presence and type so a hand-written plan
// file gets an error that names the place, never an exception or a crash.
#include "sabot/plan/plan_json.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include <arrow/type.h>
#include <nlohmann/json.hpp>

#include "sabot/common/type_names.h"
#include "sabot/expr/expr_json.h"

namespace sabot {

using nlohmann::json;

namespace {

// ---- writing ----

json SchemaToJson(const arrow::Schema& schema) {
  json fields = json::array();
  for (const auto& f : schema.fields()) {
    fields.push_back({{"name", f->name()}, {"type", FormatDataType(*f->type())}});
  }
  return fields;
}

json NamedExprsToJson(const std::vector<NamedExpr>& columns) {
  json out = json::array();
  for (const auto& c : columns) out.push_back({{"name", c.name}, {"expr", ExprToJson(c.expr)}});
  return out;
}

Result<json> SourceToJson(const SourceSpec& spec) {
  switch (spec.kind) {
    case SourceSpec::Kind::kFile: {
      json out{{"op", "source"}, {"format", ToString(spec.format)}, {"path", spec.path}};
      if (spec.schema) out["schema"] = SchemaToJson(*spec.schema);
      if (!spec.columns.empty()) out["columns"] = spec.columns;
      if (!spec.read_as.empty()) out["read_as"] = SchemaToJson(arrow::Schema(spec.read_as));
      if (spec.format == FileFormat::kCsv) {
        out["csv"] = {{"delimiter", std::string(1, spec.csv.delimiter)}, {"header", spec.csv.header}};
      }
      return out;
    }
    case SourceSpec::Kind::kGenerator: {
      const auto& g = spec.generator;
      return json{{"op", "source"},
                  {"format", "generator"},
                  {"generator",
                   {{"rows", g.rows},
                    {"batch_size", g.batch_size},
                    {"rows_per_second", g.rows_per_second},
                    {"seed", g.seed},
                    {"num_keys", g.num_keys},
                    {"start_time_us", g.start_time_us},
                    {"time_step_us", g.time_step_us},
                    {"max_out_of_orderness_us", g.max_out_of_orderness_us}}}};
    }
    case SourceSpec::Kind::kNexmark: {
      const auto& n = spec.nexmark;
      return json{{"op", "source"},
                  {"format", "nexmark"},
                  {"nexmark",
                   {{"table", ToString(n.table)},
                    {"events", n.events},
                    {"batch_size", n.batch_size},
                    {"seed", n.seed},
                    {"events_per_second", n.events_per_second},
                    {"start_time_us", n.start_time_us}}}};
    }
    case SourceSpec::Kind::kMemory:
      return Status::Invalid("a plan reading the in-memory table '", spec.table_name,
                             "' cannot be serialized; write the table to a file and read that");
  }
  return Status::UnknownError("internal error (a bug in sabot): unknown source kind");
}

json SinkToJson(const SinkSpec& spec) {
  switch (spec.kind) {
    case SinkSpec::Kind::kFile:
    {
      json out = {{"op", "sink"}, {"kind", "file"}, {"format", ToString(spec.format)}, {"path", spec.path}};
      if (!spec.partition_by.empty()) out["partition_by"] = spec.partition_by;
      return out;
    }
    case SinkSpec::Kind::kPrint:
      return {{"op", "sink"}, {"kind", "print"}, {"max_rows", spec.max_print_rows}};
    case SinkSpec::Kind::kCollect:
      return {{"op", "sink"}, {"kind", "collect"}};
    case SinkSpec::Kind::kCount:
      return {{"op", "sink"}, {"kind", "count"}};
  }
  return nullptr;
}

json AggregatesToJson(const std::vector<AggregateSpec>& aggregates) {
  json out = json::array();
  for (const auto& a : aggregates) {
    out.push_back({{"function", ToString(a.function)}, {"column", a.column}, {"name", a.output_name}});
  }
  return out;
}

json SortKeysToJson(const std::vector<SortKey>& keys) {
  json out = json::array();
  for (const auto& k : keys) {
    out.push_back({{"column", k.column}, {"ascending", k.ascending}, {"nulls_first", k.nulls_first}});
  }
  return out;
}

Result<json> NodeToJson(const PlanNode& node);

// The inputs of a multi-input node, in order.
Result<json> InputsToJson(const PlanNode& node) {
  json inputs = json::array();
  for (const auto& input : node.inputs()) {
    ARROW_ASSIGN_OR_RAISE(auto j, NodeToJson(*input));
    inputs.push_back(std::move(j));
  }
  return inputs;
}

// The fields every event-time join spec has (keys, left time, suffix) and the inputs.
template <typename Spec>
Result<json> EventTimeJoinToJson(const PlanNode& node, const char* op, const Spec& spec) {
  ARROW_ASSIGN_OR_RAISE(auto inputs, InputsToJson(node));
  return json{{"op", op},
              {"left_keys", spec.left_keys},
              {"right_keys", spec.right_keys},
              {"left_time", spec.left_time},
              {"right_suffix", spec.right_suffix},
              {"inputs", std::move(inputs)}};
}

Result<json> NodeToJson(const PlanNode& node) {
  json out;
  switch (node.kind()) {
    case PlanKind::kSource: {
      const auto& spec = static_cast<const SourceNode&>(node).spec;
      ARROW_ASSIGN_OR_RAISE(auto source, SourceToJson(spec));
      if (spec.idle_timeout_us > 0) source["idle_timeout_us"] = spec.idle_timeout_us;
      return source;
    }
    case PlanKind::kFilter:
      out = {{"op", "filter"}, {"predicate", ExprToJson(static_cast<const FilterNode&>(node).predicate)}};
      break;
    case PlanKind::kProject:
      out = {{"op", "project"}, {"columns", NamedExprsToJson(static_cast<const ProjectNode&>(node).columns)}};
      break;
    case PlanKind::kWithColumns:
      out = {{"op", "with_columns"},
             {"columns", NamedExprsToJson(static_cast<const WithColumnsNode&>(node).columns)}};
      break;
    case PlanKind::kRename: {
      json renames = json::array();
      for (const auto& [from, to] : static_cast<const RenameNode&>(node).renames) {
        renames.push_back({{"from", from}, {"to", to}});
      }
      out = {{"op", "rename"}, {"renames", std::move(renames)}};
      break;
    }
    case PlanKind::kUnion: {
      json inputs = json::array();
      for (const auto& input : node.inputs()) {
        ARROW_ASSIGN_OR_RAISE(auto j, NodeToJson(*input));
        inputs.push_back(std::move(j));
      }
      return json{{"op", "union"}, {"inputs", std::move(inputs)}};
    }
    case PlanKind::kLimit: {
      const auto& limit = static_cast<const LimitNode&>(node);
      out = {{"op", "limit"}, {"count", limit.count}, {"offset", limit.offset}};
      break;
    }
    case PlanKind::kExplode:
      out = {{"op", "explode"}, {"column", static_cast<const ExplodeNode&>(node).column}};
      break;
    case PlanKind::kSink:
      out = SinkToJson(static_cast<const SinkNode&>(node).spec);
      break;
    case PlanKind::kJoin: {
      const auto& spec = static_cast<const JoinNode&>(node).spec;
      json inputs = json::array();
      for (const auto& input : node.inputs()) {
        ARROW_ASSIGN_OR_RAISE(auto j, NodeToJson(*input));
        inputs.push_back(std::move(j));
      }
      json join{{"op", "join"},
                {"type", ToString(spec.type)},
                {"left_keys", spec.left_keys},
                {"right_keys", spec.right_keys},
                {"right_suffix", spec.right_suffix},
                {"inputs", std::move(inputs)}};
      if (spec.residual) join["residual"] = ExprToJson(*spec.residual);
      if (spec.output_columns) join["output_columns"] = *spec.output_columns;
      if (spec.changelog) join["changelog"] = true;
      if (spec.state_ttl_us > 0) {
        join["state_ttl_us"] = spec.state_ttl_us;
        join["time_column"] = spec.time_column;
      }
      return join;
    }
    case PlanKind::kIntervalJoin: {
      const auto& spec = static_cast<const IntervalJoinNode&>(node).spec;
      ARROW_ASSIGN_OR_RAISE(auto join, EventTimeJoinToJson(node, "interval_join", spec));
      join["right_time"] = spec.right_time;
      join["lower_us"] = spec.lower_us;
      join["upper_us"] = spec.upper_us;
      return join;
    }
    case PlanKind::kAsofJoin: {
      const auto& spec = static_cast<const AsofJoinNode&>(node).spec;
      ARROW_ASSIGN_OR_RAISE(auto join, EventTimeJoinToJson(node, "asof_join", spec));
      join["type"] = ToString(spec.type);
      join["right_time"] = spec.right_time;
      if (spec.tolerance_us) join["tolerance_us"] = *spec.tolerance_us;
      return join;
    }
    case PlanKind::kWindowJoin: {
      const auto& spec = static_cast<const WindowJoinNode&>(node).spec;
      ARROW_ASSIGN_OR_RAISE(auto join, EventTimeJoinToJson(node, "window_join", spec));
      join["right_time"] = spec.right_time;
      join["size_us"] = spec.size_us;
      join["slide_us"] = spec.slide_us;
      return join;
    }
    case PlanKind::kTemporalJoin: {
      const auto& spec = static_cast<const TemporalJoinNode&>(node).spec;
      ARROW_ASSIGN_OR_RAISE(auto join, EventTimeJoinToJson(node, "temporal_join", spec));
      join["type"] = ToString(spec.type);
      join["version_time"] = spec.version_time;
      if (!spec.op_column.empty()) join["op_column"] = spec.op_column;
      return join;
    }
    case PlanKind::kAggregate: {
      const auto& agg = static_cast<const AggregateNode&>(node);
      out = {{"op", "aggregate"}, {"keys", agg.keys}, {"aggregates", AggregatesToJson(agg.aggregates)}};
      break;
    }
    case PlanKind::kWindowAggregate: {
      const auto& win = static_cast<const WindowAggregateNode&>(node);
      json window = {{"kind", win.window.kind == WindowSpec::Kind::kTumbling ? "tumbling" : "sliding"},
                     {"time_column", win.window.time_column},
                     {"size_us", win.window.size_us},
                     {"slide_us", win.window.slide_us},
                     {"allowed_lateness_us", win.window.allowed_lateness_us}};
      if (win.window.kind == WindowSpec::Kind::kGlobal) {
        window = {{"kind", "global"},
                  {"trigger_count", win.window.trigger_count},
                  {"trigger_interval_us", win.window.trigger_interval_us}};
      }
      if (win.window.kind == WindowSpec::Kind::kSession) {
        window = {{"kind", "session"},
                  {"time_column", win.window.time_column},
                  {"gap_us", win.window.gap_us},
                  {"allowed_lateness_us", win.window.allowed_lateness_us}};
      }
      out = {{"op", "window_aggregate"},
             {"window", std::move(window)},
             {"keys", win.keys},
             {"aggregates", AggregatesToJson(win.aggregates)}};
      break;
    }
    case PlanKind::kLateRows:
      out = {{"op", "late_rows"}};
      break;
    case PlanKind::kChangelogAggregate: {
      const auto& agg = static_cast<const ChangelogAggregateNode&>(node);
      out = {{"op", "changelog_aggregate"}, {"keys", agg.keys}, {"aggregates", AggregatesToJson(agg.aggregates)}};
      if (agg.state_ttl_us > 0) {
        out["state_ttl_us"] = agg.state_ttl_us;
        out["time_column"] = agg.time_column;
      }
      break;
    }
    case PlanKind::kRowsWindow: {
      const auto& win = static_cast<const RowsWindowNode&>(node);
      out = {{"op", "rows_window"},
             {"keys", win.keys},
             {"rows", win.rows},
             {"aggregates", AggregatesToJson(win.aggregates)}};
      break;
    }
    case PlanKind::kSort:
      out = {{"op", "sort"}, {"keys", SortKeysToJson(static_cast<const SortNode&>(node).keys)}};
      break;
    case PlanKind::kTopK: {
      const auto& top = static_cast<const TopKNode&>(node);
      out = {{"op", "top_k"}, {"k", top.k}, {"keys", SortKeysToJson(top.keys)}};
      if (!top.per.empty()) out["per"] = top.per;
      if (top.with_ties) out["with_ties"] = true;
      break;
    }
    case PlanKind::kDistinct:
      out = {{"op", "distinct"}, {"columns", static_cast<const DistinctNode&>(node).columns}};
      break;
    case PlanKind::kKeyedProcess:
      return Status::Invalid("a plan calling the keyed process function '",
                             static_cast<const KeyedProcessNode&>(node).factory->name(),
                             "' cannot be serialized; the function lives in this process");
    case PlanKind::kMapBatches:
      return Status::Invalid("a plan calling the function '",
                             static_cast<const MapBatchesNode&>(node).function->name(),
                             "' (map_batches) cannot be serialized; the function lives in this process");
  }
  ARROW_ASSIGN_OR_RAISE(out["input"], NodeToJson(*node.input()));
  return out;
}

// ---- reading ----

// A JSON object at a known place in the document; accessors check type and presence.
class Obj {
 public:
  Obj(const json& j, std::string where) : j_(j), where_(std::move(where)) {}

  static Result<Obj> Of(const json& j, std::string where) {
    if (!j.is_object()) return Status::Invalid(where, ": expected an object, found ", j.type_name());
    return Obj(j, std::move(where));
  }

  const std::string& where() const { return where_; }
  bool Has(const char* key) const { return j_.contains(key); }
  std::string At(const char* key) const { return where_ + "." + key; }
  const json& Raw(const char* key) const { return j_.at(key); }

  Result<const json*> Get(const char* key) const {
    if (!j_.contains(key)) return Status::Invalid(where_, ": missing \"", key, "\"");
    return &j_.at(key);
  }
  Result<std::string> String(const char* key) const {
    ARROW_ASSIGN_OR_RAISE(auto v, Get(key));
    if (!v->is_string()) return Status::Invalid(At(key), ": expected a string, found ", v->type_name());
    return v->get<std::string>();
  }
  Result<std::string> OptString(const char* key, std::string fallback) const {
    if (!Has(key)) return fallback;
    return String(key);
  }
  Result<int64_t> Int(const char* key, std::optional<int64_t> fallback = std::nullopt) const {
    if (!Has(key) && fallback) return *fallback;
    ARROW_ASSIGN_OR_RAISE(auto v, Get(key));
    if (!v->is_number_integer()) return Status::Invalid(At(key), ": expected an integer, found ", v->dump());
    return v->get<int64_t>();
  }
  Result<double> Number(const char* key, double fallback) const {
    if (!Has(key)) return fallback;
    const json& v = j_.at(key);
    if (!v.is_number()) return Status::Invalid(At(key), ": expected a number, found ", v.dump());
    return v.get<double>();
  }
  Result<bool> Bool(const char* key, bool fallback) const {
    if (!Has(key)) return fallback;
    const json& v = j_.at(key);
    if (!v.is_boolean()) return Status::Invalid(At(key), ": expected true or false, found ", v.dump());
    return v.get<bool>();
  }
  Result<const json*> Array(const char* key) const {
    ARROW_ASSIGN_OR_RAISE(auto v, Get(key));
    if (!v->is_array()) return Status::Invalid(At(key), ": expected an array, found ", v->type_name());
    return v;
  }

 private:
  const json& j_;
  std::string where_;
};

std::string Resolve(const std::string& path, const PlanReadOptions& options) {
  if (options.base_dir.empty() || path.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(options.base_dir) / path).lexically_normal().string();
}

Result<std::shared_ptr<arrow::Schema>> SchemaFromJson(const json& j, const std::string& where) {
  if (!j.is_array()) return Status::Invalid(where, ": expected an array of {name, type}");
  arrow::FieldVector fields;
  for (size_t i = 0; i < j.size(); ++i) {
    ARROW_ASSIGN_OR_RAISE(auto f, Obj::Of(j[i], where + "[" + std::to_string(i) + "]"));
    ARROW_ASSIGN_OR_RAISE(auto name, f.String("name"));
    ARROW_ASSIGN_OR_RAISE(auto type_name, f.String("type"));
    auto type = ParseDataType(type_name);
    if (!type.ok()) return WithContext(type.status(), f.At("type"));
    fields.push_back(arrow::field(name, *type));
  }
  return arrow::schema(fields);
}

Result<std::vector<NamedExpr>> NamedExprsFromJson(const Obj& node) {
  ARROW_ASSIGN_OR_RAISE(auto arr, node.Array("columns"));
  std::vector<NamedExpr> out;
  for (size_t i = 0; i < arr->size(); ++i) {
    ARROW_ASSIGN_OR_RAISE(auto c, Obj::Of((*arr)[i], node.At("columns") + "[" + std::to_string(i) + "]"));
    ARROW_ASSIGN_OR_RAISE(auto name, c.String("name"));
    ARROW_ASSIGN_OR_RAISE(auto expr_json, c.Get("expr"));
    ARROW_ASSIGN_OR_RAISE(auto expr, ExprFromJson(*expr_json, c.At("expr")));
    out.push_back({std::move(name), std::move(expr)});
  }
  return out;
}

Result<SourceSpec> SourceFromJson(const Obj& node, const PlanReadOptions& options) {
  SourceSpec spec;
  ARROW_ASSIGN_OR_RAISE(auto format, node.String("format"));
  if (format == "generator") {
    spec.kind = SourceSpec::Kind::kGenerator;
    ARROW_ASSIGN_OR_RAISE(auto gj, node.Get("generator"));
    ARROW_ASSIGN_OR_RAISE(auto g, Obj::Of(*gj, node.At("generator")));
    GeneratorOptions d;
    auto& o = spec.generator;
    ARROW_ASSIGN_OR_RAISE(o.rows, g.Int("rows", d.rows));
    ARROW_ASSIGN_OR_RAISE(o.batch_size, g.Int("batch_size", d.batch_size));
    ARROW_ASSIGN_OR_RAISE(o.rows_per_second, g.Number("rows_per_second", d.rows_per_second));
    ARROW_ASSIGN_OR_RAISE(auto seed, g.Int("seed", static_cast<int64_t>(d.seed)));
    o.seed = static_cast<uint64_t>(seed);
    ARROW_ASSIGN_OR_RAISE(o.num_keys, g.Int("num_keys", d.num_keys));
    ARROW_ASSIGN_OR_RAISE(o.start_time_us, g.Int("start_time_us", d.start_time_us));
    ARROW_ASSIGN_OR_RAISE(o.time_step_us, g.Int("time_step_us", d.time_step_us));
    ARROW_ASSIGN_OR_RAISE(o.max_out_of_orderness_us, g.Int("max_out_of_orderness_us", d.max_out_of_orderness_us));
    return spec;
  }
  if (format == "nexmark") {
    spec.kind = SourceSpec::Kind::kNexmark;
    ARROW_ASSIGN_OR_RAISE(auto nj, node.Get("nexmark"));
    ARROW_ASSIGN_OR_RAISE(auto n, Obj::Of(*nj, node.At("nexmark")));
    NexmarkOptions d;
    auto& o = spec.nexmark;
    ARROW_ASSIGN_OR_RAISE(auto table, n.String("table"));
    auto parsed_table = ParseNexmarkTable(table);
    if (!parsed_table.ok()) return WithContext(parsed_table.status(), n.At("table"));
    o.table = *parsed_table;
    ARROW_ASSIGN_OR_RAISE(o.events, n.Int("events", d.events));
    ARROW_ASSIGN_OR_RAISE(o.batch_size, n.Int("batch_size", d.batch_size));
    ARROW_ASSIGN_OR_RAISE(auto seed, n.Int("seed", static_cast<int64_t>(d.seed)));
    o.seed = static_cast<uint64_t>(seed);
    ARROW_ASSIGN_OR_RAISE(o.events_per_second, n.Int("events_per_second", d.events_per_second));
    ARROW_ASSIGN_OR_RAISE(o.start_time_us, n.Int("start_time_us", d.start_time_us));
    return spec;
  }
  spec.kind = SourceSpec::Kind::kFile;
  auto parsed = ParseFileFormat(format);
  if (!parsed.ok()) return WithContext(parsed.status(), node.At("format"));
  spec.format = *parsed;
  ARROW_ASSIGN_OR_RAISE(auto path, node.String("path"));
  spec.path = Resolve(path, options);
  if (node.Has("schema")) {
    ARROW_ASSIGN_OR_RAISE(spec.schema, SchemaFromJson(node.Raw("schema"), node.At("schema")));
  }
  if (node.Has("columns")) {
    ARROW_ASSIGN_OR_RAISE(auto arr, node.Array("columns"));
    for (const auto& c : *arr) {
      if (!c.is_string()) return Status::Invalid(node.At("columns"), ": expected column names");
      spec.columns.push_back(c.get<std::string>());
    }
  }
  if (node.Has("read_as")) {
    ARROW_ASSIGN_OR_RAISE(auto read_as, SchemaFromJson(node.Raw("read_as"), node.At("read_as")));
    spec.read_as = read_as->fields();
  }
  if (node.Has("csv")) {
    ARROW_ASSIGN_OR_RAISE(auto csv, Obj::Of(node.Raw("csv"), node.At("csv")));
    if (csv.Has("delimiter")) {
      ARROW_ASSIGN_OR_RAISE(auto delimiter, csv.String("delimiter"));
      if (delimiter.size() != 1) {
        return Status::Invalid(csv.At("delimiter"), ": expected one character, found '", delimiter, "'");
      }
      spec.csv.delimiter = delimiter[0];
    }
    ARROW_ASSIGN_OR_RAISE(spec.csv.header, csv.Bool("header", true));
  }
  return spec;
}

Result<std::vector<std::string>> StringList(const Obj& node, const char* key, bool required = true) {
  std::vector<std::string> out;
  if (!required && !node.Has(key)) return out;
  ARROW_ASSIGN_OR_RAISE(auto arr, node.Array(key));
  for (const auto& v : *arr) {
    if (!v.is_string()) return Status::Invalid(node.At(key), ": expected column names, found ", v.dump());
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<SinkSpec> SinkFromJson(const Obj& node, const PlanReadOptions& options) {
  SinkSpec spec;
  ARROW_ASSIGN_OR_RAISE(auto kind, node.String("kind"));
  if (kind == "file") {
    spec.kind = SinkSpec::Kind::kFile;
    ARROW_ASSIGN_OR_RAISE(auto format, node.String("format"));
    auto parsed = ParseFileFormat(format);
    if (!parsed.ok()) return WithContext(parsed.status(), node.At("format"));
    spec.format = *parsed;
    ARROW_ASSIGN_OR_RAISE(auto path, node.String("path"));
    spec.path = Resolve(path, options);
    ARROW_ASSIGN_OR_RAISE(spec.partition_by, StringList(node, "partition_by", /*required=*/false));
  } else if (kind == "print") {
    spec.kind = SinkSpec::Kind::kPrint;
    ARROW_ASSIGN_OR_RAISE(spec.max_print_rows, node.Int("max_rows", spec.max_print_rows));
  } else if (kind == "collect") {
    spec.kind = SinkSpec::Kind::kCollect;
  } else if (kind == "count") {
    spec.kind = SinkSpec::Kind::kCount;
  } else {
    return Status::Invalid(node.At("kind"), ": unknown sink kind '", kind,
                           "' (expected file, print, collect or count)");
  }
  return spec;
}

Result<std::vector<SortKey>> SortKeysFromJson(const Obj& node) {
  ARROW_ASSIGN_OR_RAISE(auto arr, node.Array("keys"));
  std::vector<SortKey> keys;
  for (size_t i = 0; i < arr->size(); ++i) {
    ARROW_ASSIGN_OR_RAISE(auto k, Obj::Of((*arr)[i], node.At("keys") + "[" + std::to_string(i) + "]"));
    SortKey key;
    ARROW_ASSIGN_OR_RAISE(key.column, k.String("column"));
    ARROW_ASSIGN_OR_RAISE(key.ascending, k.Bool("ascending", true));
    ARROW_ASSIGN_OR_RAISE(key.nulls_first, k.Bool("nulls_first", false));
    keys.push_back(std::move(key));
  }
  return keys;
}

Result<PlanPtr> JoinFromJson(const Obj& node, const PlanReadOptions& options);
Result<PlanPtr> IntervalJoinFromJson(const Obj& node, const PlanReadOptions& options);
Result<PlanPtr> AsofJoinFromJson(const Obj& node, const PlanReadOptions& options);
Result<PlanPtr> WindowJoinFromJson(const Obj& node, const PlanReadOptions& options);
Result<PlanPtr> TemporalJoinFromJson(const Obj& node, const PlanReadOptions& options);
Result<std::pair<PlanPtr, PlanPtr>> LeftRightFromJson(const Obj& node, const PlanReadOptions& options,
                                                      const char* what);

Result<std::vector<AggregateSpec>> AggregatesFromJson(const Obj& node) {
  ARROW_ASSIGN_OR_RAISE(auto arr, node.Array("aggregates"));
  std::vector<AggregateSpec> aggregates;
  for (size_t i = 0; i < arr->size(); ++i) {
    ARROW_ASSIGN_OR_RAISE(auto a, Obj::Of((*arr)[i], node.At("aggregates") + "[" + std::to_string(i) + "]"));
    ARROW_ASSIGN_OR_RAISE(auto function_name, a.String("function"));
    auto function = ParseAggregateFunction(function_name);
    if (!function.ok()) return WithContext(function.status(), a.At("function"));
    AggregateSpec spec{*function, "", ""};
    ARROW_ASSIGN_OR_RAISE(spec.column, a.OptString("column", ""));
    ARROW_ASSIGN_OR_RAISE(spec.output_name, a.OptString("name", ""));
    aggregates.push_back(std::move(spec));
  }
  return aggregates;
}

Result<PlanPtr> NodeFromJson(const json& j, const std::string& where, const PlanReadOptions& options) {
  ARROW_ASSIGN_OR_RAISE(auto node, Obj::Of(j, where));
  ARROW_ASSIGN_OR_RAISE(auto op, node.String("op"));
  if (op == "source") {
    ARROW_ASSIGN_OR_RAISE(auto spec, SourceFromJson(node, options));
    ARROW_ASSIGN_OR_RAISE(spec.idle_timeout_us, node.Int("idle_timeout_us", 0));
    return std::make_shared<SourceNode>(std::move(spec));
  }
  if (op == "union") {
    ARROW_ASSIGN_OR_RAISE(auto arr, node.Array("inputs"));
    if (arr->size() < 2) return Status::Invalid(node.At("inputs"), ": a union needs at least two inputs");
    std::vector<PlanPtr> inputs;
    for (size_t i = 0; i < arr->size(); ++i) {
      ARROW_ASSIGN_OR_RAISE(auto in, NodeFromJson((*arr)[i], node.At("inputs") + "[" + std::to_string(i) + "]", options));
      inputs.push_back(std::move(in));
    }
    return std::make_shared<UnionNode>(std::move(inputs));
  }
  if (op == "join") return JoinFromJson(node, options);
  if (op == "interval_join") return IntervalJoinFromJson(node, options);
  if (op == "asof_join") return AsofJoinFromJson(node, options);
  if (op == "window_join") return WindowJoinFromJson(node, options);
  if (op == "temporal_join") return TemporalJoinFromJson(node, options);
  static const char* kOps =
      "source, filter, project, with_columns, rename, union, limit, explode, join, interval_join, asof_join, window_join, temporal_join, "
      "aggregate, window_aggregate, late_rows, changelog_aggregate, rows_window, sort, top_k, distinct, sink";
  static const std::set<std::string> kSingleInput = {"filter", "project", "with_columns", "rename", "limit",
                                                     "explode", "aggregate", "window_aggregate", "late_rows", "changelog_aggregate",
                                                     "rows_window",
                                                     "sort", "top_k",
                                                     "distinct", "sink"};
  if (!kSingleInput.count(op)) {
    return Status::Invalid(node.At("op"), ": unknown op '", op, "' (expected one of ", kOps, ")");
  }
  ARROW_ASSIGN_OR_RAISE(auto input_json, node.Get("input"));
  ARROW_ASSIGN_OR_RAISE(auto input, NodeFromJson(*input_json, node.At("input"), options));
  if (op == "filter") {
    ARROW_ASSIGN_OR_RAISE(auto pj, node.Get("predicate"));
    ARROW_ASSIGN_OR_RAISE(auto predicate, ExprFromJson(*pj, node.At("predicate")));
    return std::make_shared<FilterNode>(std::move(input), std::move(predicate));
  }
  if (op == "project" || op == "with_columns") {
    ARROW_ASSIGN_OR_RAISE(auto columns, NamedExprsFromJson(node));
    if (op == "project") return std::make_shared<ProjectNode>(std::move(input), std::move(columns));
    return std::make_shared<WithColumnsNode>(std::move(input), std::move(columns));
  }
  if (op == "rename") {
    ARROW_ASSIGN_OR_RAISE(auto arr, node.Array("renames"));
    std::vector<std::pair<std::string, std::string>> renames;
    for (size_t i = 0; i < arr->size(); ++i) {
      ARROW_ASSIGN_OR_RAISE(auto r, Obj::Of((*arr)[i], node.At("renames") + "[" + std::to_string(i) + "]"));
      ARROW_ASSIGN_OR_RAISE(auto from, r.String("from"));
      ARROW_ASSIGN_OR_RAISE(auto to, r.String("to"));
      renames.emplace_back(std::move(from), std::move(to));
    }
    return std::make_shared<RenameNode>(std::move(input), std::move(renames));
  }
  if (op == "limit") {
    ARROW_ASSIGN_OR_RAISE(auto count, node.Int("count"));
    ARROW_ASSIGN_OR_RAISE(auto offset, node.Int("offset", 0));
    return std::make_shared<LimitNode>(std::move(input), count, offset);
  }
  if (op == "explode") {
    ARROW_ASSIGN_OR_RAISE(auto column, node.String("column"));
    return std::make_shared<ExplodeNode>(std::move(input), std::move(column));
  }
  if (op == "aggregate") {
    ARROW_ASSIGN_OR_RAISE(auto keys, StringList(node, "keys", /*required=*/false));
    ARROW_ASSIGN_OR_RAISE(auto aggregates, AggregatesFromJson(node));
    return std::make_shared<AggregateNode>(std::move(input), std::move(keys), std::move(aggregates));
  }
  if (op == "changelog_aggregate") {
    ARROW_ASSIGN_OR_RAISE(auto keys, StringList(node, "keys", /*required=*/false));
    ARROW_ASSIGN_OR_RAISE(auto aggregates, AggregatesFromJson(node));
    ARROW_ASSIGN_OR_RAISE(auto ttl, node.Int("state_ttl_us", 0));
    std::string time_column;
    if (ttl > 0) {
      ARROW_ASSIGN_OR_RAISE(time_column, node.String("time_column"));
    }
    return std::make_shared<ChangelogAggregateNode>(std::move(input), std::move(keys), std::move(aggregates), ttl,
                                                    std::move(time_column));
  }
  if (op == "rows_window") {
    ARROW_ASSIGN_OR_RAISE(auto keys, StringList(node, "keys", /*required=*/true));
    ARROW_ASSIGN_OR_RAISE(auto rows, node.Int("rows"));
    ARROW_ASSIGN_OR_RAISE(auto aggregates, AggregatesFromJson(node));
    return std::make_shared<RowsWindowNode>(std::move(input), std::move(keys), rows, std::move(aggregates));
  }
  if (op == "late_rows") {
    if (input->kind() != PlanKind::kWindowAggregate) {
      return Status::Invalid(node.At("input"), ": late_rows reads a window_aggregate, found ",
                             input->Describe());
    }
    return std::make_shared<LateRowsNode>(std::move(input));
  }
  if (op == "window_aggregate") {
    ARROW_ASSIGN_OR_RAISE(auto keys, StringList(node, "keys", /*required=*/false));
    ARROW_ASSIGN_OR_RAISE(auto aggregates, AggregatesFromJson(node));
    ARROW_ASSIGN_OR_RAISE(auto wj, node.Get("window"));
    ARROW_ASSIGN_OR_RAISE(auto w, Obj::Of(*wj, node.At("window")));
    WindowSpec window;
    ARROW_ASSIGN_OR_RAISE(auto kind, w.String("kind"));
    if (kind == "global") {
      window.kind = WindowSpec::Kind::kGlobal;
      ARROW_ASSIGN_OR_RAISE(window.trigger_count, w.Int("trigger_count", 0));
      ARROW_ASSIGN_OR_RAISE(window.trigger_interval_us, w.Int("trigger_interval_us", 0));
      return std::make_shared<WindowAggregateNode>(std::move(input), std::move(window), std::move(keys),
                                                   std::move(aggregates));
    }
    if (kind != "tumbling" && kind != "sliding" && kind != "session") {
      return Status::Invalid(w.At("kind"), ": unknown window kind '", kind,
                             "' (expected tumbling, sliding, session or global)");
    }
    ARROW_ASSIGN_OR_RAISE(window.time_column, w.String("time_column"));
    if (kind == "session") {
      window.kind = WindowSpec::Kind::kSession;
      ARROW_ASSIGN_OR_RAISE(window.gap_us, w.Int("gap_us"));
      ARROW_ASSIGN_OR_RAISE(window.allowed_lateness_us, w.Int("allowed_lateness_us", 0));
      return std::make_shared<WindowAggregateNode>(std::move(input), std::move(window), std::move(keys),
                                                   std::move(aggregates));
    }
    window.kind = kind == "tumbling" ? WindowSpec::Kind::kTumbling : WindowSpec::Kind::kSliding;
    ARROW_ASSIGN_OR_RAISE(window.size_us, w.Int("size_us"));
    ARROW_ASSIGN_OR_RAISE(window.slide_us, w.Int("slide_us", window.size_us));
    ARROW_ASSIGN_OR_RAISE(window.allowed_lateness_us, w.Int("allowed_lateness_us", 0));
    return std::make_shared<WindowAggregateNode>(std::move(input), std::move(window), std::move(keys),
                                                 std::move(aggregates));
  }
  if (op == "sort") {
    ARROW_ASSIGN_OR_RAISE(auto keys, SortKeysFromJson(node));
    return std::make_shared<SortNode>(std::move(input), std::move(keys));
  }
  if (op == "top_k") {
    ARROW_ASSIGN_OR_RAISE(auto keys, SortKeysFromJson(node));
    ARROW_ASSIGN_OR_RAISE(auto k, node.Int("k"));
    ARROW_ASSIGN_OR_RAISE(auto per, StringList(node, "per", /*required=*/false));
    ARROW_ASSIGN_OR_RAISE(bool with_ties, node.Bool("with_ties", false));
    return std::make_shared<TopKNode>(std::move(input), std::move(keys), k, std::move(per), with_ties);
  }
  if (op == "distinct") {
    ARROW_ASSIGN_OR_RAISE(auto columns, StringList(node, "columns", /*required=*/false));
    return std::make_shared<DistinctNode>(std::move(input), std::move(columns));
  }
  ARROW_ASSIGN_OR_RAISE(auto spec, SinkFromJson(node, options));
  return std::make_shared<SinkNode>(std::move(input), std::move(spec));
}

Result<PlanPtr> JoinFromJson(const Obj& node, const PlanReadOptions& options) {
  JoinSpec spec;
  ARROW_ASSIGN_OR_RAISE(auto type_name, node.String("type"));
  auto type = ParseJoinType(type_name);
  if (!type.ok()) return WithContext(type.status(), node.At("type"));
  spec.type = *type;
  ARROW_ASSIGN_OR_RAISE(spec.left_keys, StringList(node, "left_keys"));
  ARROW_ASSIGN_OR_RAISE(spec.right_keys, StringList(node, "right_keys"));
  ARROW_ASSIGN_OR_RAISE(spec.right_suffix, node.OptString("right_suffix", spec.right_suffix));
  if (node.Has("residual")) {
    ARROW_ASSIGN_OR_RAISE(auto residual, ExprFromJson(node.Raw("residual"), node.At("residual")));
    spec.residual = std::move(residual);
  }
  if (node.Has("output_columns")) {
    ARROW_ASSIGN_OR_RAISE(auto output_columns, StringList(node, "output_columns"));
    spec.output_columns = std::move(output_columns);
  }
  ARROW_ASSIGN_OR_RAISE(spec.changelog, node.Bool("changelog", false));
  ARROW_ASSIGN_OR_RAISE(spec.state_ttl_us, node.Int("state_ttl_us", 0));
  ARROW_ASSIGN_OR_RAISE(spec.time_column, node.OptString("time_column", ""));
  ARROW_ASSIGN_OR_RAISE(auto arr, node.Array("inputs"));
  if (arr->size() != 2) return Status::Invalid(node.At("inputs"), ": a join needs two inputs, left and right");
  ARROW_ASSIGN_OR_RAISE(auto left, NodeFromJson((*arr)[0], node.At("inputs") + "[0]", options));
  ARROW_ASSIGN_OR_RAISE(auto right, NodeFromJson((*arr)[1], node.At("inputs") + "[1]", options));
  return std::make_shared<JoinNode>(std::move(left), std::move(right), std::move(spec));
}

// The fields EventTimeJoinToJson writes, but for the inputs.
template <typename Spec>
Status EventTimeJoinFromJson(const Obj& node, Spec* spec) {
  ARROW_ASSIGN_OR_RAISE(spec->left_keys, StringList(node, "left_keys"));
  ARROW_ASSIGN_OR_RAISE(spec->right_keys, StringList(node, "right_keys"));
  ARROW_ASSIGN_OR_RAISE(spec->left_time, node.String("left_time"));
  ARROW_ASSIGN_OR_RAISE(spec->right_suffix, node.OptString("right_suffix", spec->right_suffix));
  return Status::OK();
}

// An optional join type, inner by default.
Result<JoinType> OptJoinType(const Obj& node) {
  ARROW_ASSIGN_OR_RAISE(auto type_name, node.OptString("type", "inner"));
  auto type = ParseJoinType(type_name);
  if (!type.ok()) return WithContext(type.status(), node.At("type"));
  return *type;
}

Result<PlanPtr> IntervalJoinFromJson(const Obj& node, const PlanReadOptions& options) {
  IntervalJoinSpec spec;
  ARROW_RETURN_NOT_OK(EventTimeJoinFromJson(node, &spec));
  ARROW_ASSIGN_OR_RAISE(spec.right_time, node.String("right_time"));
  ARROW_ASSIGN_OR_RAISE(spec.lower_us, node.Int("lower_us"));
  ARROW_ASSIGN_OR_RAISE(spec.upper_us, node.Int("upper_us"));
  ARROW_ASSIGN_OR_RAISE(auto inputs, LeftRightFromJson(node, options, "an interval join"));
  return std::make_shared<IntervalJoinNode>(std::move(inputs.first), std::move(inputs.second), std::move(spec));
}

// The [left, right] inputs of a two-input node; `what` names it in the error.
Result<std::pair<PlanPtr, PlanPtr>> LeftRightFromJson(const Obj& node, const PlanReadOptions& options,
                                                      const char* what) {
  ARROW_ASSIGN_OR_RAISE(auto arr, node.Array("inputs"));
  if (arr->size() != 2) return Status::Invalid(node.At("inputs"), ": ", what, " needs two inputs, left and right");
  ARROW_ASSIGN_OR_RAISE(auto left, NodeFromJson((*arr)[0], node.At("inputs") + "[0]", options));
  ARROW_ASSIGN_OR_RAISE(auto right, NodeFromJson((*arr)[1], node.At("inputs") + "[1]", options));
  return std::make_pair(std::move(left), std::move(right));
}

Result<PlanPtr> AsofJoinFromJson(const Obj& node, const PlanReadOptions& options) {
  AsofJoinSpec spec;
  ARROW_ASSIGN_OR_RAISE(spec.type, OptJoinType(node));
  ARROW_RETURN_NOT_OK(EventTimeJoinFromJson(node, &spec));
  ARROW_ASSIGN_OR_RAISE(spec.right_time, node.String("right_time"));
  if (node.Has("tolerance_us")) {
    ARROW_ASSIGN_OR_RAISE(spec.tolerance_us, node.Int("tolerance_us"));
  }
  ARROW_ASSIGN_OR_RAISE(auto inputs, LeftRightFromJson(node, options, "an as-of join"));
  return std::make_shared<AsofJoinNode>(std::move(inputs.first), std::move(inputs.second), std::move(spec));
}

Result<PlanPtr> WindowJoinFromJson(const Obj& node, const PlanReadOptions& options) {
  WindowJoinSpec spec;
  ARROW_RETURN_NOT_OK(EventTimeJoinFromJson(node, &spec));
  ARROW_ASSIGN_OR_RAISE(spec.right_time, node.String("right_time"));
  ARROW_ASSIGN_OR_RAISE(spec.size_us, node.Int("size_us"));
  ARROW_ASSIGN_OR_RAISE(spec.slide_us, node.Int("slide_us", spec.size_us));
  ARROW_ASSIGN_OR_RAISE(auto inputs, LeftRightFromJson(node, options, "a window join"));
  return std::make_shared<WindowJoinNode>(std::move(inputs.first), std::move(inputs.second), std::move(spec));
}

Result<PlanPtr> TemporalJoinFromJson(const Obj& node, const PlanReadOptions& options) {
  TemporalJoinSpec spec;
  ARROW_ASSIGN_OR_RAISE(spec.type, OptJoinType(node));
  ARROW_RETURN_NOT_OK(EventTimeJoinFromJson(node, &spec));
  ARROW_ASSIGN_OR_RAISE(spec.version_time, node.String("version_time"));
  ARROW_ASSIGN_OR_RAISE(spec.op_column, node.OptString("op_column", ""));
  ARROW_ASSIGN_OR_RAISE(auto inputs, LeftRightFromJson(node, options, "a temporal join"));
  return std::make_shared<TemporalJoinNode>(std::move(inputs.first), std::move(inputs.second), std::move(spec));
}

}  // namespace

Result<std::string> SerializePlan(const PlanNode& root) {
  ARROW_ASSIGN_OR_RAISE(auto plan, NodeToJson(root));
  json doc{{"sabot_plan_version", kPlanFormatVersion}, {"plan", std::move(plan)}};
  return doc.dump(2) + "\n";
}

Result<PlanPtr> DeserializePlan(std::string_view text, const PlanReadOptions& options) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    // e.byte is the offset of the offending character.
    return Status::Invalid(options.origin, ": not valid JSON at byte ", e.byte, ": ", e.what());
  }
  auto parse = [&]() -> Result<PlanPtr> {
    ARROW_ASSIGN_OR_RAISE(auto top, Obj::Of(doc, "document"));
    if (!top.Has("sabot_plan_version")) {
      return Status::Invalid("not a Sabot plan: missing \"sabot_plan_version\"");
    }
    const json& version = top.Raw("sabot_plan_version");
    if (!version.is_number_integer() || version.get<int64_t>() != kPlanFormatVersion) {
      return Status::Invalid("plan format version ", version.dump(), " is not supported; this sabot (",
                             SABOT_VERSION, ") reads version ", kPlanFormatVersion);
    }
    ARROW_ASSIGN_OR_RAISE(auto plan, top.Get("plan"));
    return NodeFromJson(*plan, "plan", options);
  };
  auto result = parse();
  if (!result.ok()) return WithContext(result.status(), options.origin);
  return result;
}

Result<PlanPtr> ReadPlanFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("plan file not found: ", path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return Status::IOError("cannot read plan file ", path);
  PlanReadOptions options;
  options.origin = path;
  options.base_dir = std::filesystem::path(path).parent_path().string();
  return DeserializePlan(buffer.str(), options);
}

}  // namespace sabot
