// ChangelogJoinOperator: both inputs held per key, probed as rows arrive, padded outer
// rows retracted at their first match, and rows forgotten by TTL or the other side's end.
#include "sabot/ops/changelog_join.h"

#include <arrow/api.h>

#include "sabot/exec/event_time.h"
#include "sabot/ops/changelog_aggregate.h"
#include "sabot/state/key_group_snapshot.h"

namespace sabot {
namespace {

constexpr int kLeft = 0;

// A held row's snapshot column: whether its null-padded row is in the output.
std::shared_ptr<arrow::Field> PaddedField() { return arrow::field("padded", arrow::boolean(), false); }

}  // namespace

ChangelogJoinOperator::ChangelogJoinOperator(std::shared_ptr<arrow::Schema> output, JoinSpec spec,
                                             EventTimeJoinKeys keys, Side left, Side right)
    : EventTimeJoinOperator(std::move(output)),
      spec_(std::move(spec)),
      keys_(std::move(keys)),
      sides_{std::move(left), std::move(right)} {}

Status ChangelogJoinOperator::ReadRows(int port, const arrow::RecordBatch& batch) {
  const Side& side = sides_[port];
  if (side.time_column >= 0) {
    ARROW_RETURN_NOT_OK(ReadTimes(port, batch, *side.held.schema(), side.time_column, spec_.time_column, &times_));
  } else if (batch.num_columns() != side.held.schema()->num_fields()) {
    return Status::TypeError(name(), ": ", port == kLeft ? "left" : "right", " batch schema ",
                             batch.schema()->ToString(), " does not match the planned input ",
                             side.held.schema()->ToString());
  } else {
    times_.assign(static_cast<size_t>(batch.num_rows()), 0);
  }
  ARROW_RETURN_NOT_OK(keys_.Ids(port, batch, &ids_, &valid_));
  for (Side& s : sides_) s.by_key.resize(keys_.num_keys());
  return Status::OK();
}

void ChangelogJoinOperator::Hold(int port, uint32_t key, int64_t time, Entry entry) {
  Side& side = sides_[port];
  side.by_key[key].emplace(time, entry);
  if (side.time_column >= 0) side.by_time.emplace(time, key);
}

Result<Flow> ChangelogJoinOperator::Consume(int port, const std::shared_ptr<arrow::RecordBatch>& batch) {
  ARROW_RETURN_NOT_OK(ReadRows(port, *batch));
  Side& side = sides_[port];
  Side& other = sides_[1 - port];
  const bool is_left = port == kLeft;
  // Rows arriving after the other side ended can never be probed: not held. Nor are rows
  // the TTL already rules out.
  const bool hold = !progress().ended(1 - port);
  const EventTime watermark = std::min(progress().watermark(0), progress().watermark(1));
  const bool left_only = OutputsLeftOnly(spec_.type);
  const bool semi = spec_.type == JoinType::kSemi;
  const uint32_t slot = side.held.Open(batch);
  std::vector<Change> changes;
  auto change = [&](const char* op, RowRef mine, RowRef theirs) {
    changes.push_back(is_left ? Change{op, mine, theirs} : Change{op, theirs, mine});
  };
  for (int64_t i = 0; i < batch->num_rows(); ++i) {
    const size_t row = static_cast<size_t>(i);
    const RowRef mine{slot, static_cast<int32_t>(i)};
    if (!valid_[row]) {  // a null key matches nothing, now or later
      if (side.keeps_unmatched) change(kChangelogInsert, mine, kNoRow);
      continue;
    }
    auto& matches = other.by_key[ids_[row]];
    if (matches.empty() && side.keeps_unmatched) change(kChangelogInsert, mine, kNoRow);
    // A semi join's left row waits for its first match like an outer row, unseen.
    const bool padded = matches.empty() && (side.keeps_unmatched || (semi && is_left));
    if (semi && is_left && !matches.empty()) change(kChangelogInsert, mine, kNoRow);
    for (auto& [time, entry] : matches) {
      if (entry.padded) {  // its first match: out goes the padded row (in, for a semi join)
        change(semi ? kChangelogInsert : kChangelogDelete, kNoRow, entry.ref);
        entry.padded = false;
      }
      if (!left_only) change(kChangelogInsert, mine, entry.ref);
    }
    const int64_t t = times_[row];
    const bool expired = side.time_column >= 0 && SaturatingAdd(t, spec_.state_ttl_us) <= watermark;
    if (hold && !expired) Hold(port, ids_[row], t, Entry{side.held.Add(slot, static_cast<int32_t>(i)), padded});
  }
  auto flow = EmitChanges(changes);
  side.held.Close(slot);
  return flow;
}

Result<Flow> ChangelogJoinOperator::EmitChanges(const std::vector<Change>& changes) {
  if (changes.empty()) return Flow::kContinue;
  std::vector<RowRef> refs[2];
  arrow::StringBuilder ops;
  for (const Change& c : changes) {
    ARROW_RETURN_NOT_OK(ops.Append(c.op));
    refs[0].push_back(c.left);
    refs[1].push_back(c.right);
  }
  std::vector<std::shared_ptr<arrow::Array>> columns(1);
  ARROW_RETURN_NOT_OK(ops.Finish(&columns[0]));
  for (int port : {0, 1}) {
    if (port == 1 && OutputsLeftOnly(spec_.type)) break;
    ARROW_ASSIGN_OR_RAISE(auto rows, sides_[port].held.Gather(refs[port]));
    for (const auto& column : rows->columns()) columns.push_back(column);
  }
  return Emit(Message::Batch(
      arrow::RecordBatch::Make(output_schema(), static_cast<int64_t>(changes.size()), std::move(columns))));
}

Result<Flow> ChangelogJoinOperator::Advanced(int port) {
  // Nothing more of `port` comes to probe the other side's rows.
  if (progress().ended(port)) ARROW_RETURN_NOT_OK(Expire(1 - port, kMaxWatermark));
  if (spec_.state_ttl_us > 0) {
    const EventTime watermark = std::min(progress().watermark(0), progress().watermark(1));
    const EventTime cutoff = watermark == kMaxWatermark ? kMaxWatermark : SaturatingAdd(watermark, -spec_.state_ttl_us);
    for (int side : {0, 1}) ARROW_RETURN_NOT_OK(Expire(side, cutoff));
  }
  return Flow::kContinue;
}

Status ChangelogJoinOperator::Expire(int port, EventTime cutoff) {
  Side& side = sides_[port];
  if (cutoff == kMaxWatermark) {
    for (auto& rows : side.by_key) {
      for (const auto& [time, entry] : rows) ARROW_RETURN_NOT_OK(side.held.Release(entry.ref));
      rows.clear();
    }
    side.by_time.clear();
    return Status::OK();
  }
  while (!side.by_time.empty() && side.by_time.begin()->first <= cutoff) {
    auto oldest = side.by_time.begin();
    auto& rows = side.by_key[oldest->second];
    auto held = rows.find(oldest->first);  // rows of one key and time leave together
    SABOT_CHECK(held != rows.end());
    ARROW_RETURN_NOT_OK(side.held.Release(held->second.ref));
    rows.erase(held);
    side.by_time.erase(oldest);
  }
  return Status::OK();
}

Result<std::shared_ptr<arrow::Schema>> ChangelogJoinOperator::HeldSchema(int port) const {
  return sides_[port].held.schema()->AddField(0, PaddedField());
}

Result<std::pair<std::shared_ptr<arrow::RecordBatch>, std::vector<uint16_t>>> ChangelogJoinOperator::HeldByKeyGroup(
    int port) const {
  std::vector<RowRef> refs;
  arrow::BooleanBuilder padded;
  for (const auto& rows : sides_[port].by_key) {
    for (const auto& [time, entry] : rows) {
      refs.push_back(entry.ref);
      ARROW_RETURN_NOT_OK(padded.Append(entry.padded));
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto held, sides_[port].held.Gather(refs));
  ARROW_ASSIGN_OR_RAISE(auto groups, RowKeyGroups(*held, keys_.key_columns(port), num_key_groups()));
  ARROW_ASSIGN_OR_RAISE(auto flags, padded.Finish());
  ARROW_ASSIGN_OR_RAISE(held, held->AddColumn(0, PaddedField(), flags));
  return std::make_pair(std::move(held), std::move(groups));
}

Status ChangelogJoinOperator::RestoreHeld(int port, const std::shared_ptr<arrow::RecordBatch>& saved) {
  const auto& padded = static_cast<const arrow::BooleanArray&>(*saved->column(0));
  ARROW_ASSIGN_OR_RAISE(auto rows, saved->RemoveColumn(0));
  ARROW_RETURN_NOT_OK(ReadRows(port, *rows));
  Side& side = sides_[port];
  const uint32_t slot = side.held.Open(rows);
  for (int64_t i = 0; i < rows->num_rows(); ++i) {
    const size_t row = static_cast<size_t>(i);
    Hold(port, ids_[row], times_[row], Entry{side.held.Add(slot, static_cast<int32_t>(i)), padded.Value(i)});
  }
  side.held.Close(slot);
  return Status::OK();
}

Result<std::unique_ptr<Operator>> MakeChangelogJoin(const std::shared_ptr<arrow::Schema>& left,
                                                    const std::shared_ptr<arrow::Schema>& right, const JoinSpec& spec) {
  if (OutputsRightOnly(spec.type)) {
    // Their rows are known only once the left input ended: no changelog to emit before.
    return Status::NotImplemented("a ", ToString(spec.type), " join over an unbounded input (a changelog join) is "
                                  "not supported; write it as ",
                                  spec.type == JoinType::kRightSemi ? "a semi" : "an anti", " join with the sides swapped");
  }
  if (spec.residual) {
    return Status::NotImplemented("a join condition (where=) over an unbounded input (a changelog join) is not "
                                  "supported; filter the joined rows instead");
  }
  if (spec.output_columns) {
    return Status::NotImplemented("a changelog join emits all its columns; output_columns is for hash joins");
  }
  if (spec.state_ttl_us < 0) {
    return Status::Invalid("state TTL must not be negative, got ", spec.state_ttl_us, " us");
  }
  ARROW_ASSIGN_OR_RAISE(auto keys, EventTimeJoinKeys::Make(left, right, spec, "changelog join"));
  if (keys.output_schema()->GetFieldIndex("op") >= 0) {
    return Status::Invalid("output column 'op' clashes with the changelog's op column; rename it");
  }
  ChangelogJoinOperator::Side l(left), r(right);
  l.keeps_unmatched = KeepsUnmatchedLeft(spec.type);
  r.keeps_unmatched = KeepsUnmatchedRight(spec.type);
  if (spec.state_ttl_us > 0) {
    ARROW_ASSIGN_OR_RAISE(l.time_column, ResolveTimeColumn(*left, spec.time_column, "left state TTL time column"));
    ARROW_ASSIGN_OR_RAISE(r.time_column, ResolveTimeColumn(*right, spec.time_column, "right state TTL time column"));
  }
  ARROW_ASSIGN_OR_RAISE(auto output,
                        keys.output_schema()->AddField(0, arrow::field("op", arrow::utf8(), /*nullable=*/false)));
  return std::unique_ptr<Operator>(
      new ChangelogJoinOperator(std::move(output), spec, std::move(keys), std::move(l), std::move(r)));
}

}  // namespace sabot
