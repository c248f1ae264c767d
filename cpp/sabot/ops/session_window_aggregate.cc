// SessionWindowAggregateOperator: per-key gap-based sessions over event time, merged as
// rows bridge them and aggregated when the watermark closes them.
#include "sabot/ops/session_window_aggregate.h"

#include <algorithm>
#include <numeric>

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/row/grouper.h>

#include "sabot/exec/event_time.h"
#include "sabot/ops/key_group_state.h"

namespace sabot {
namespace {

constexpr const char* kSessionIdColumn = "__sabot_session_id";

}  // namespace

SessionWindowAggregateOperator::SessionWindowAggregateOperator(
    std::shared_ptr<arrow::Schema> output, WindowSpec window, std::shared_ptr<arrow::Schema> input, int time_column,
    std::vector<int> key_columns, std::unique_ptr<arrow::compute::Grouper> grouper,
    std::unique_ptr<HashAggregateState> prototype, WindowAggregateOptions options)
    : EventTimeWindowOperator(std::move(output)),
      window_(std::move(window)),
      input_(std::move(input)),
      time_column_(time_column),
      key_columns_(std::move(key_columns)),
      grouper_(std::move(grouper)),
      prototype_(std::move(prototype)),
      options_(std::move(options)) {}

SessionWindowAggregateOperator::~SessionWindowAggregateOperator() = default;

int64_t SessionWindowAggregateOperator::End(int64_t last) const { return SaturatingAdd(last, window_.gap_us); }

Result<std::vector<uint32_t>> SessionWindowAggregateOperator::KeyIds(const arrow::RecordBatch& batch) {
  const int64_t n = batch.num_rows();
  if (grouper_ == nullptr) return std::vector<uint32_t>(static_cast<size_t>(n), 0);
  std::vector<arrow::compute::ExecValue> keys;
  for (int k : key_columns_) keys.emplace_back(*batch.column_data(k));
  ARROW_ASSIGN_OR_RAISE(arrow::Datum ids, grouper_->Consume(arrow::compute::ExecSpan(std::move(keys), n)));
  const uint32_t* values = ids.array()->GetValues<uint32_t>(1);
  return std::vector<uint32_t>(values, values + n);
}

Status SessionWindowAggregateOperator::Consume(const std::shared_ptr<arrow::RecordBatch>& batch) {
  const int64_t n = batch->num_rows();
  if (n == 0) return Status::OK();
  if (batch->num_columns() != input_->num_fields() ||
      !batch->column_data(time_column_)->type->Equals(*input_->field(time_column_)->type())) {
    return Status::TypeError("SessionWindowAggregate: batch schema ", batch->schema()->ToString(),
                             " does not match the planned input ", input_->ToString());
  }
  ARROW_RETURN_NOT_OK(ReadEventTimes(*batch->column(time_column_),
                                     "window time column '" + input_->field(time_column_)->name() + "'", &times_));
  ARROW_ASSIGN_OR_RAISE(std::vector<uint32_t> key_ids, KeyIds(*batch));
  if (grouper_ != nullptr) sessions_.resize(grouper_->num_groups());
  if (sessions_.empty()) sessions_.resize(1);

  // Runs: rows of one key less than a gap apart in event time belong to one session, so
  // they are placed together. Runs are found in (key, time) order; each run's rows are
  // then taken in arrival order, which first/last and "rows of one key keep their
  // order" rely on.
  std::vector<int32_t> by_time(static_cast<size_t>(n));
  std::iota(by_time.begin(), by_time.end(), 0);
  std::stable_sort(by_time.begin(), by_time.end(), [&](int32_t a, int32_t b) {
    const auto ka = key_ids[static_cast<size_t>(a)], kb = key_ids[static_cast<size_t>(b)];
    return ka != kb ? ka < kb : times_[static_cast<size_t>(a)] < times_[static_cast<size_t>(b)];
  });
  struct Run {
    uint32_t key;
    int64_t first, last;
    int64_t offset = 0, length = 0;  // in the taken batch
  };
  std::vector<Run> runs;
  std::vector<int32_t> run_of(static_cast<size_t>(n));
  for (int32_t row : by_time) {
    const uint32_t key = key_ids[static_cast<size_t>(row)];
    const int64_t t = times_[static_cast<size_t>(row)];
    if (runs.empty() || runs.back().key != key || t - runs.back().last >= window_.gap_us) {
      runs.push_back({key, t, t});
    }
    runs.back().last = t;
    ++runs.back().length;
    run_of[static_cast<size_t>(row)] = static_cast<int32_t>(runs.size() - 1);
  }
  // Counting sort by run keeps arrival order within each run.
  for (size_t r = 1; r < runs.size(); ++r) runs[r].offset = runs[r - 1].offset + runs[r - 1].length;
  std::vector<int32_t> order(static_cast<size_t>(n));
  {
    std::vector<int64_t> next(runs.size());
    for (size_t r = 0; r < runs.size(); ++r) next[r] = runs[r].offset;
    for (int32_t i = 0; i < n; ++i) order[static_cast<size_t>(next[static_cast<size_t>(run_of[static_cast<size_t>(i)])]++)] = i;
  }
  std::shared_ptr<arrow::RecordBatch> taken = batch;
  if (runs.size() > 1) {
    arrow::Int32Array indices(n, arrow::Buffer::Wrap(order));
    ARROW_ASSIGN_OR_RAISE(auto datum, arrow::compute::Take(arrow::Datum(batch), arrow::Datum(indices)));
    taken = datum.record_batch();
  }

  std::vector<std::shared_ptr<arrow::RecordBatch>> late;
  for (const Run& run : runs) {
    auto rows = taken->Slice(run.offset, run.length);
    if (!AddRun(run.key, run.first, run.last, rows)) {
      late_rows_ += run.length;
      late.push_back(std::move(rows));
    }
  }
  if (!late.empty()) {
    int64_t count = 0;
    for (const auto& rows : late) count += rows->num_rows();
    CountLateRows(count);
  }
  if (!late.empty() && options_.late_sink) {
    ARROW_ASSIGN_OR_RAISE(auto all, arrow::ConcatenateRecordBatches(late));
    ARROW_RETURN_NOT_OK(options_.late_sink(std::move(all)));
  }
  return Status::OK();
}

bool SessionWindowAggregateOperator::AddRun(uint32_t key, int64_t first, int64_t last,
                                            std::shared_ptr<arrow::RecordBatch> rows) {
  KeySessions& sessions = sessions_[key];
  const int64_t gap = window_.gap_us;
  // Sessions of one key are disjoint and sorted by start, hence also by last event. The
  // ones this run touches start before last + gap and end (last + gap) after `first`.
  auto touched_end = sessions.lower_bound(SaturatingAdd(last, gap));
  auto touched_begin = touched_end;
  while (touched_begin != sessions.begin() && End(std::prev(touched_begin)->second.last) > first) --touched_begin;

  if (touched_begin == touched_end &&
      SaturatingAdd(End(last), window_.allowed_lateness_us) <= watermark()) {
    return false;  // its own session would be closed and gone already
  }
  Session merged;
  int64_t start = first;
  merged.last = last;
  for (auto it = touched_begin; it != touched_end; ++it) {
    Session& old = it->second;
    start = std::min(start, it->first);
    merged.last = std::max(merged.last, old.last);
    merged.emitted |= old.emitted;
    for (auto& batch : old.rows) merged.rows.push_back(std::move(batch));
    merged.num_rows += old.num_rows;
    by_end_.erase(EndEntry{End(old.last), key, it->first});
  }
  sessions.erase(touched_begin, touched_end);
  merged.updated = merged.emitted;
  merged.num_rows += rows->num_rows();
  state_rows_ += rows->num_rows();
  merged.rows.push_back(std::move(rows));
  by_end_.insert(EndEntry{End(merged.last), key, start});
  sessions.emplace(start, std::move(merged));
  return true;
}

Result<Flow> SessionWindowAggregateOperator::CloseWindows() {
  const EventTime watermark = this->watermark();
  std::vector<Closed> closed;
  for (auto it = by_end_.begin(); it != by_end_.end();) {
    const auto [end, key, start] = *it;
    if (end > watermark) break;
    auto found = sessions_[key].find(start);
    SABOT_CHECK(found != sessions_[key].end());
    Session& session = found->second;
    if (!session.emitted || session.updated) closed.push_back({start, end, session.rows});
    if (SaturatingAdd(end, window_.allowed_lateness_us) <= watermark) {
      state_rows_ -= session.num_rows;
      sessions_[key].erase(found);
      it = by_end_.erase(it);
    } else {
      session.emitted = true;
      session.updated = false;
      ++it;
    }
  }
  if (closed.empty()) return Flow::kContinue;
  ARROW_ASSIGN_OR_RAISE(auto all, Aggregate(closed));
  return EmitResults({std::move(all)});
}

Result<std::shared_ptr<arrow::RecordBatch>> SessionWindowAggregateOperator::Aggregate(
    const std::vector<Closed>& sessions) {
  // One aggregation over all sessions closing together, grouped by (session id, keys):
  // a state, or even a Consume, per session costs far more than the rows (sessions are
  // often a handful of rows, held as many small slices).
  std::vector<std::shared_ptr<arrow::RecordBatch>> pieces;
  std::vector<int64_t> row_sessions;
  for (size_t id = 0; id < sessions.size(); ++id) {
    for (const auto& rows : sessions[id].rows) {
      pieces.push_back(rows);
      row_sessions.insert(row_sessions.end(), static_cast<size_t>(rows->num_rows()), static_cast<int64_t>(id));
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto all, arrow::ConcatenateRecordBatches(pieces));
  auto input_columns = all->columns();
  const auto num_rows = static_cast<int64_t>(row_sessions.size());
  input_columns.push_back(
      std::make_shared<arrow::Int64Array>(num_rows, arrow::Buffer::FromVector(std::move(row_sessions))));
  ARROW_ASSIGN_OR_RAISE(auto state, prototype_->MakeEmpty());
  ARROW_RETURN_NOT_OK(
      state->Consume(*arrow::RecordBatch::Make(prototype_->input_schema(), num_rows, std::move(input_columns))));
  ARROW_ASSIGN_OR_RAISE(auto results, state->Finalize(std::numeric_limits<int64_t>::max()));
  SABOT_CHECK(results.size() == 1);
  // In end order: sort by session id, then map ids to the window bounds.
  ARROW_ASSIGN_OR_RAISE(auto order, arrow::compute::SortIndices(*results[0]->column(0)));
  ARROW_ASSIGN_OR_RAISE(auto sorted, arrow::compute::Take(arrow::Datum(results[0]), arrow::Datum(order)));
  const auto& result = sorted.record_batch();
  const auto& ids = static_cast<const arrow::Int64Array&>(*result->column(0));
  arrow::TimestampBuilder starts(WindowTimeType(), arrow::default_memory_pool());
  arrow::TimestampBuilder ends(WindowTimeType(), arrow::default_memory_pool());
  ARROW_RETURN_NOT_OK(starts.Reserve(result->num_rows()));
  ARROW_RETURN_NOT_OK(ends.Reserve(result->num_rows()));
  for (int64_t i = 0; i < result->num_rows(); ++i) {
    const Closed& session = sessions[static_cast<size_t>(ids.Value(i))];
    starts.UnsafeAppend(session.start);
    ends.UnsafeAppend(session.end);
  }
  std::vector<std::shared_ptr<arrow::Array>> columns(2);
  ARROW_RETURN_NOT_OK(starts.Finish(&columns[0]));
  ARROW_RETURN_NOT_OK(ends.Finish(&columns[1]));
  for (int c = 1; c < result->num_columns(); ++c) columns.push_back(result->column(c));
  return arrow::RecordBatch::Make(output_schema(), result->num_rows(), std::move(columns));
}

Result<std::vector<uint16_t>> SessionWindowAggregateOperator::KeyIdGroups() const {
  std::vector<uint16_t> groups;
  if (grouper_ == nullptr) {  // every row has the empty key
    groups.assign(sessions_.size(), static_cast<uint16_t>(KeyGroupOf(std::string(), num_key_groups())));
    return groups;
  }
  if (grouper_->num_groups() == 0) return groups;
  ARROW_ASSIGN_OR_RAISE(arrow::compute::ExecBatch uniques, grouper_->GetUniques());
  arrow::FieldVector fields;
  std::vector<std::shared_ptr<arrow::Array>> columns;
  std::vector<int> key_columns;
  for (size_t k = 0; k < key_columns_.size(); ++k) {
    fields.push_back(input_->field(key_columns_[k]));
    columns.push_back(uniques.values[k].make_array());
    key_columns.push_back(static_cast<int>(k));
  }
  auto keys = arrow::RecordBatch::Make(arrow::schema(std::move(fields)), uniques.length, std::move(columns));
  ARROW_RETURN_NOT_OK(KeyGroupsOf(*keys, key_columns, num_key_groups(), &groups));
  return groups;
}

Result<std::vector<int64_t>> SessionWindowAggregateOperator::StateRowsByKeyGroup() const {
  const KeyGroupRange& range = key_group_range();
  std::vector<int64_t> counts(static_cast<size_t>(range.end - range.begin), 0);
  ARROW_ASSIGN_OR_RAISE(auto groups, KeyIdGroups());
  for (size_t key = 0; key < sessions_.size(); ++key) {
    for (const auto& [start, session] : sessions_[key]) {
      if (!range.Contains(groups[key])) {
        return Status::Invalid(name(), ": a session of key group ", groups[key], " in an instance owning [",
                               range.begin, ", ", range.end, ")");
      }
      counts[static_cast<size_t>(groups[key] - range.begin)] += session.num_rows;
    }
  }
  return counts;
}

namespace {

std::shared_ptr<arrow::Schema> SessionsSchema() {
  return arrow::schema({arrow::field("session", arrow::int64(), /*nullable=*/false),
                        arrow::field("start", arrow::int64()), arrow::field("last", arrow::int64()),
                        arrow::field("emitted", arrow::boolean()), arrow::field("updated", arrow::boolean())});
}

}  // namespace

// Sections: the sessions (index, start, last event, emitted, updated), then their rows,
// each tagged with its session's index.
Result<std::shared_ptr<arrow::Buffer>> SessionWindowAggregateOperator::SnapshotKeyGroups(KeyGroupRange groups) const {
  ARROW_ASSIGN_OR_RAISE(auto key_groups, KeyIdGroups());
  arrow::Int64Builder ids, starts, lasts;
  arrow::BooleanBuilder emitted, updated;
  std::vector<std::shared_ptr<arrow::RecordBatch>> rows;
  int64_t id = 0;
  for (size_t key = 0; key < sessions_.size(); ++key) {
    if (!groups.Contains(key_groups[key])) continue;
    for (const auto& [start, session] : sessions_[key]) {
      ARROW_RETURN_NOT_OK(ids.Append(id));
      ARROW_RETURN_NOT_OK(starts.Append(start));
      ARROW_RETURN_NOT_OK(lasts.Append(session.last));
      ARROW_RETURN_NOT_OK(emitted.Append(session.emitted));
      ARROW_RETURN_NOT_OK(updated.Append(session.updated));
      for (const auto& batch : session.rows) {
        ARROW_ASSIGN_OR_RAISE(auto tagged, PrependInt64(batch, "session", id));
        rows.push_back(std::move(tagged));
      }
      ++id;
    }
  }
  std::vector<std::shared_ptr<arrow::Array>> columns(5);
  ARROW_RETURN_NOT_OK(ids.Finish(&columns[0]));
  ARROW_RETURN_NOT_OK(starts.Finish(&columns[1]));
  ARROW_RETURN_NOT_OK(lasts.Finish(&columns[2]));
  ARROW_RETURN_NOT_OK(emitted.Finish(&columns[3]));
  ARROW_RETURN_NOT_OK(updated.Finish(&columns[4]));
  KeyGroupSnapshotContents contents{std::string(name()), num_key_groups(), groups, watermark(), {}};
  contents.sections.push_back(arrow::RecordBatch::Make(SessionsSchema(), id, std::move(columns)));
  ARROW_ASSIGN_OR_RAISE(auto rows_schema, input_->AddField(0, arrow::field("session", arrow::int64(), false)));
  ARROW_ASSIGN_OR_RAISE(auto all_rows, ConcatenateOrEmpty(rows_schema, rows));
  contents.sections.push_back(std::move(all_rows));
  return EncodeKeyGroupSnapshot(contents);
}

Status SessionWindowAggregateOperator::RestoreKeyGroups(const arrow::Buffer& snapshot) {
  ARROW_ASSIGN_OR_RAISE(auto rows_schema, input_->AddField(0, arrow::field("session", arrow::int64(), false)));
  ARROW_ASSIGN_OR_RAISE(auto contents,
                        DecodeKeyGroupSnapshot(snapshot, std::string(name()), *this, {SessionsSchema(), rows_schema}));
  RestoreWatermark(contents.watermark);
  const auto& sessions = *contents.sections[0];
  const auto& starts = static_cast<const arrow::Int64Array&>(*sessions.column(1));
  const auto& lasts = static_cast<const arrow::Int64Array&>(*sessions.column(2));
  const auto& emitted = static_cast<const arrow::BooleanArray&>(*sessions.column(3));
  const auto& updated = static_cast<const arrow::BooleanArray&>(*sessions.column(4));
  return ForEachTagged(contents.sections[1], [&](int64_t id, std::shared_ptr<arrow::RecordBatch> rows) -> Status {
    if (id < 0 || id >= sessions.num_rows()) {
      return Status::Invalid(name(), " snapshot: rows of session ", id, " of ", sessions.num_rows());
    }
    // The session's key id, from its first row.
    ARROW_ASSIGN_OR_RAISE(auto key_ids, KeyIds(*rows->Slice(0, 1)));
    if (grouper_ != nullptr) sessions_.resize(grouper_->num_groups());
    if (sessions_.empty()) sessions_.resize(1);
    const uint32_t key = key_ids[0];
    const int64_t start = starts.Value(id);
    Session& session = sessions_[key][start];
    if (session.num_rows > 0) {
      return Status::Invalid(name(), " snapshot: a session at ", start, " this instance holds already");
    }
    session.last = lasts.Value(id);
    session.emitted = emitted.Value(id);
    session.updated = updated.Value(id);
    session.num_rows = rows->num_rows();
    session.rows.push_back(std::move(rows));
    state_rows_ += session.num_rows;
    by_end_.insert(EndEntry{End(session.last), key, start});
    return Status::OK();
  });
}

Result<std::unique_ptr<Operator>> MakeSessionWindowAggregate(const std::shared_ptr<arrow::Schema>& input,
                                                             const WindowSpec& window,
                                                             const std::vector<std::string>& keys,
                                                             const std::vector<AggregateSpec>& aggregates,
                                                             WindowAggregateOptions options) {
  if (window.kind != WindowSpec::Kind::kSession) {
    return Status::Invalid("MakeSessionWindowAggregate needs a session window");
  }
  if (window.gap_us <= 0) return Status::Invalid("session gap must be positive, got ", window.gap_us, " us");
  if (window.allowed_lateness_us < 0) {
    return Status::Invalid("allowed lateness must not be negative, got ", window.allowed_lateness_us, " us");
  }
  ARROW_ASSIGN_OR_RAISE(const int time_column, ResolveTimeColumn(*input, window.time_column, "window time column"));
  if (input->GetFieldIndex(kSessionIdColumn) >= 0) {
    return Status::Invalid("input column name '", kSessionIdColumn, "' is reserved by session windows");
  }
  // Validates keys and aggregates against the input, naming the one at fault.
  ARROW_ASSIGN_OR_RAISE(auto plain, HashAggregateState::Make(input, keys, aggregates));
  std::vector<std::string> grouping = {kSessionIdColumn};
  grouping.insert(grouping.end(), keys.begin(), keys.end());
  ARROW_ASSIGN_OR_RAISE(auto extended, input->AddField(input->num_fields(), arrow::field(kSessionIdColumn, arrow::int64())));
  ARROW_ASSIGN_OR_RAISE(auto prototype, HashAggregateState::Make(extended, grouping, aggregates));

  std::unique_ptr<arrow::compute::Grouper> grouper;
  const std::vector<int>& key_columns = plain->key_columns();
  if (!key_columns.empty()) {
    std::vector<arrow::TypeHolder> types;
    for (int k : key_columns) types.emplace_back(input->field(k)->type());
    ARROW_ASSIGN_OR_RAISE(grouper, arrow::compute::Grouper::Make(types));
  }
  ARROW_ASSIGN_OR_RAISE(auto output, WindowOutputSchema(*plain->output_schema()));
  return std::unique_ptr<Operator>(new SessionWindowAggregateOperator(
      std::move(output), window, input, time_column, key_columns, std::move(grouper),
      std::move(prototype), std::move(options)));
}

}  // namespace sabot
