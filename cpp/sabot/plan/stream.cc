// The fluent plan builder.
#include "sabot/plan/stream.h"

namespace sabot {

Stream Stream::Read(SourceSpec spec) { return Stream(std::make_shared<SourceNode>(std::move(spec))); }

static Stream ReadFile(FileFormat format, std::string path) {
  SourceSpec spec;
  spec.kind = SourceSpec::Kind::kFile;
  spec.format = format;
  spec.path = std::move(path);
  return Stream::Read(std::move(spec));
}

Stream Stream::ReadCsv(std::string path, CsvOptions options) {
  SourceSpec spec;
  spec.format = FileFormat::kCsv;
  spec.path = std::move(path);
  spec.csv = options;
  return Read(std::move(spec));
}
Stream Stream::ReadJson(std::string path) { return ReadFile(FileFormat::kJsonLines, std::move(path)); }
Stream Stream::ReadIpc(std::string path) { return ReadFile(FileFormat::kIpcFile, std::move(path)); }
Stream Stream::ReadParquet(std::string path, std::vector<std::string> columns) {
  SourceSpec spec;
  spec.format = FileFormat::kParquet;
  spec.path = std::move(path);
  spec.columns = std::move(columns);
  return Read(std::move(spec));
}

Stream Stream::Generate(GeneratorOptions options) {
  SourceSpec spec;
  spec.kind = SourceSpec::Kind::kGenerator;
  spec.generator = options;
  return Read(std::move(spec));
}

Stream Stream::Nexmark(NexmarkOptions options) {
  SourceSpec spec;
  spec.kind = SourceSpec::Kind::kNexmark;
  spec.nexmark = options;
  return Read(std::move(spec));
}

Stream Stream::FromTable(std::shared_ptr<arrow::Table> table, std::string name) {
  SourceSpec spec;
  spec.kind = SourceSpec::Kind::kMemory;
  spec.table = std::move(table);
  spec.table_name = std::move(name);
  return Read(std::move(spec));
}

Stream Stream::Filter(Expr predicate) const {
  return Stream(std::make_shared<FilterNode>(node_, std::move(predicate)));
}

Stream Stream::Select(const std::vector<std::string>& columns) const {
  std::vector<NamedExpr> exprs;
  for (const auto& c : columns) exprs.push_back({c, col(c)});
  return Project(std::move(exprs));
}

Stream Stream::Project(std::vector<NamedExpr> columns) const {
  return Stream(std::make_shared<ProjectNode>(node_, std::move(columns)));
}

Stream Stream::WithColumn(std::string name, Expr expr) const {
  return WithColumns({{std::move(name), std::move(expr)}});
}

Stream Stream::WithColumns(std::vector<NamedExpr> columns) const {
  return Stream(std::make_shared<WithColumnsNode>(node_, std::move(columns)));
}

Stream Stream::Rename(std::vector<std::pair<std::string, std::string>> renames) const {
  return Stream(std::make_shared<RenameNode>(node_, std::move(renames)));
}

Stream Stream::Union(const Stream& other) const {
  // Flatten chains of unions: a.Union(b).Union(c) is one three-input union.
  std::vector<PlanPtr> inputs;
  if (node_->kind() == PlanKind::kUnion) {
    inputs = node_->inputs();
  } else {
    inputs.push_back(node_);
  }
  inputs.push_back(other.node_);
  return Stream(std::make_shared<UnionNode>(std::move(inputs)));
}

Stream Stream::Limit(int64_t count, int64_t offset) const {
  return Stream(std::make_shared<LimitNode>(node_, count, offset));
}

Stream Stream::Explode(std::string column) const {
  return Stream(std::make_shared<ExplodeNode>(node_, std::move(column)));
}

Stream Stream::MapBatches(std::shared_ptr<BatchFunction> function) const {
  return Stream(std::make_shared<MapBatchesNode>(node_, std::move(function)));
}

Stream Stream::Join(const Stream& right, std::vector<std::string> left_keys, std::vector<std::string> right_keys,
                    JoinType type) const {
  JoinSpec spec;
  spec.type = type;
  spec.left_keys = std::move(left_keys);
  spec.right_keys = std::move(right_keys);
  return Join(right, std::move(spec));
}

Stream Stream::Join(const Stream& right, JoinSpec spec) const {
  return Stream(std::make_shared<JoinNode>(node_, right.node_, std::move(spec)));
}

Stream Stream::IntervalJoin(const Stream& right, IntervalJoinSpec spec) const {
  return Stream(std::make_shared<IntervalJoinNode>(node_, right.node_, std::move(spec)));
}

Stream Stream::WindowJoin(const Stream& right, WindowJoinSpec spec) const {
  return Stream(std::make_shared<WindowJoinNode>(node_, right.node_, std::move(spec)));
}

Stream Stream::TemporalJoin(const Stream& table, TemporalJoinSpec spec) const {
  return Stream(std::make_shared<TemporalJoinNode>(node_, table.node_, std::move(spec)));
}

Stream Stream::AsofJoin(const Stream& right, AsofJoinSpec spec) const {
  return Stream(std::make_shared<AsofJoinNode>(node_, right.node_, std::move(spec)));
}

Stream Stream::Aggregate(std::vector<std::string> keys, std::vector<AggregateSpec> aggregates) const {
  return Stream(std::make_shared<AggregateNode>(node_, std::move(keys), std::move(aggregates)));
}

Stream Stream::WindowAggregate(WindowSpec window, std::vector<std::string> keys,
                               std::vector<AggregateSpec> aggregates) const {
  return Stream(std::make_shared<WindowAggregateNode>(node_, std::move(window), std::move(keys), std::move(aggregates)));
}

Result<Stream> Stream::IdleTimeout(int64_t timeout_us) const {
  if (node_->kind() != PlanKind::kSource) {
    return Status::Invalid("an idle timeout belongs to a source, not to ", node_->Describe());
  }
  if (timeout_us < 0) return Status::Invalid("idle timeout must not be negative, got ", timeout_us, " us");
  SourceSpec spec = static_cast<const SourceNode&>(*node_).spec;
  spec.idle_timeout_us = timeout_us;
  return Stream(std::make_shared<SourceNode>(std::move(spec)));
}

Stream Stream::ChangelogAggregate(std::vector<std::string> keys, std::vector<AggregateSpec> aggregates,
                                  int64_t state_ttl_us, std::string time_column) const {
  return Stream(std::make_shared<ChangelogAggregateNode>(node_, std::move(keys), std::move(aggregates), state_ttl_us,
                                                         std::move(time_column)));
}

Stream Stream::KeyedProcess(std::vector<std::string> keys, std::shared_ptr<const KeyedProcessFactory> factory,
                            int64_t state_ttl_us) const {
  return Stream(std::make_shared<KeyedProcessNode>(node_, std::move(keys), std::move(factory), state_ttl_us));
}

Stream Stream::RowsWindow(std::vector<std::string> keys, int64_t rows, std::vector<AggregateSpec> aggregates) const {
  return Stream(std::make_shared<RowsWindowNode>(node_, std::move(keys), rows, std::move(aggregates)));
}

Result<Stream> Stream::LateRows() const {
  if (node_->kind() != PlanKind::kWindowAggregate) {
    return Status::Invalid("late rows come from a window aggregate (window(...).agg(...)), not from ",
                           node_->Describe());
  }
  return Stream(std::make_shared<LateRowsNode>(node_));
}

Stream Stream::Sort(std::vector<SortKey> keys) const {
  return Stream(std::make_shared<SortNode>(node_, std::move(keys)));
}

Stream Stream::TopK(std::vector<SortKey> keys, int64_t k, std::vector<std::string> per, bool with_ties) const {
  return Stream(std::make_shared<TopKNode>(node_, std::move(keys), k, std::move(per), with_ties));
}

Stream Stream::Distinct(std::vector<std::string> columns) const {
  return Stream(std::make_shared<DistinctNode>(node_, std::move(columns)));
}

PlanPtr Stream::To(SinkSpec spec) const { return std::make_shared<SinkNode>(node_, std::move(spec)); }

static SinkSpec FileSink(FileFormat format, std::string path) {
  SinkSpec spec;
  spec.kind = SinkSpec::Kind::kFile;
  spec.format = format;
  spec.path = std::move(path);
  return spec;
}

PlanPtr Stream::WriteCsv(std::string path) const { return To(FileSink(FileFormat::kCsv, std::move(path))); }
PlanPtr Stream::WriteJson(std::string path) const {
  return To(FileSink(FileFormat::kJsonLines, std::move(path)));
}
PlanPtr Stream::WriteIpc(std::string path) const { return To(FileSink(FileFormat::kIpcFile, std::move(path))); }
PlanPtr Stream::WriteParquet(std::string path) const {
  return To(FileSink(FileFormat::kParquet, std::move(path)));
}

PlanPtr Stream::Print(int64_t max_rows) const {
  SinkSpec spec;
  spec.kind = SinkSpec::Kind::kPrint;
  spec.max_print_rows = max_rows;
  return To(spec);
}

PlanPtr Stream::Collect() const {
  SinkSpec spec;
  spec.kind = SinkSpec::Kind::kCollect;
  return To(spec);
}

PlanPtr Stream::Count() const {
  SinkSpec spec;
  spec.kind = SinkSpec::Kind::kCount;
  return To(spec);
}

}  // namespace sabot
