// HashAggregateState (group table + accumulators, mergeable) and the operator that
// feeds it and emits the result at EndOfStream.
#include "sabot/ops/hash_aggregate.h"
#include "sabot/ops/dict_key_grouper.h"
#include "sabot/ops/int_key_grouper.h"

#include <algorithm>
#include <limits>
#include <set>

#include <arrow/api.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/row/grouper.h>
#include <arrow/util/byte_size.h>

#include "sabot/common/type_names.h"
#include "sabot/expr/bind.h"
#include "sabot/ops/join_keys.h"
#include "sabot/ops/key_list_grouper.h"
#include "sabot/ops/spilling_aggregation.h"
#include "sabot/state/key_group.h"

namespace sabot {

//! What every partial state of one aggregate stage shares: resolved columns and the
//! output schema.
struct HashAggregateState::Layout {
  std::shared_ptr<arrow::Schema> input;
  std::vector<int> key_columns;
  //! The key fields as the output has them: the input's, or a dictionary key's values
  //! when the aggregate decodes dictionary keys (the plan read them as strings).
  arrow::FieldVector key_fields;
  bool decode_dictionary_keys = false;
  std::vector<AggregateSpec> aggregates;
  std::vector<int> aggregate_columns;  // -1 for count_all
  std::shared_ptr<arrow::Schema> output;
};

namespace {

Result<int> ResolveColumn(const arrow::Schema& schema, const std::string& name, std::string_view what) {
  const auto indices = schema.GetAllFieldIndices(name);
  if (indices.size() == 1) return indices[0];
  if (indices.empty()) {
    return Status::Invalid(what, ": column '", name, "' does not exist; the columns are: ",
                           JoinNames(schema.field_names()));
  }
  return Status::Invalid(what, ": column name '", name, "' is ambiguous, the input has it ",
                         indices.size(), " times");
}

Result<std::unique_ptr<arrow::compute::Grouper>> MakeGrouper(const arrow::Schema& input,
                                                             const std::vector<int>& key_columns,
                                                             bool decode_dictionary_keys) {
  std::vector<std::shared_ptr<arrow::DataType>> types;
  for (int k : key_columns) types.push_back(input.field(k)->type());
  if (types.size() == 1 && IsIntKeyGroupable(*types[0])) return MakeIntKeyGrouper(types[0]);
  if (IsDictKeyGroupable(types)) return MakeDictKeyGrouper(std::move(types), decode_dictionary_keys);
  std::vector<arrow::TypeHolder> key_types(types.begin(), types.end());
  auto grouper = arrow::compute::Grouper::Make(key_types);
  if (!grouper.ok()) {
    std::vector<std::string> described;
    for (int k : key_columns) {
      described.push_back(input.field(k)->name() + " " + FormatDataType(*input.field(k)->type()));
    }
    return Status::TypeError("cannot group by (", JoinNames(described), "): ",
                             grouper.status().message());
  }
  return std::move(grouper).ValueUnsafe();
}

// The part (of `parts`) the key in row `row` of `keys` belongs to, for SplitByKeyHash and
// PartitionByKeyHash alike: the high half of its hash (the groupers' tables use the low
// bits), and part 0 for a key with a null, whose hash covers whatever its null slots hold.
size_t PartOfKey(const JoinKeys& keys, int64_t row, int parts) {
  if (!keys.valid(row)) return 0;
  return static_cast<size_t>(((keys.hashes()[row] >> 32) * static_cast<uint64_t>(parts)) >> 32);
}

// The accumulators read raw buffers, so a batch must match the planned types exactly.
Status CheckColumnType(const arrow::RecordBatch& batch, const arrow::Schema& input, int column) {
  const auto& expected = *input.field(column)->type();
  const auto& found = *batch.column_data(column)->type;
  if (found.Equals(expected)) return Status::OK();
  return Status::TypeError("aggregate input column '", input.field(column)->name(), "': expected ",
                           FormatDataType(expected), ", found ", FormatDataType(found));
}

}  // namespace

Result<std::unique_ptr<HashAggregateState>> HashAggregateState::Make(
    const std::shared_ptr<arrow::Schema>& input, const std::vector<std::string>& keys,
    const std::vector<AggregateSpec>& aggregates, bool decode_dictionary_keys) {
  ARROW_RETURN_NOT_OK(EnsureComputeInitialized());
  auto layout = std::make_shared<Layout>();
  layout->input = input;
  layout->aggregates = aggregates;
  layout->decode_dictionary_keys = decode_dictionary_keys;
  std::vector<std::shared_ptr<arrow::DataType>> key_types;
  for (const auto& key : keys) {
    ARROW_ASSIGN_OR_RAISE(int index, ResolveColumn(*input, key, "group key"));
    layout->key_columns.push_back(index);
    auto field = input->field(index);
    key_types.push_back(field->type());
    if (decode_dictionary_keys && field->type()->id() == arrow::Type::DICTIONARY) {
      field = field->WithType(static_cast<const arrow::DictionaryType&>(*field->type()).value_type());
    }
    layout->key_fields.push_back(std::move(field));
  }
  if (decode_dictionary_keys && !IsDictKeyGroupable(key_types)) {
    return Status::Invalid("internal error (a bug in sabot): dictionary keys to decode that DictKeyGrouper cannot group");
  }
  arrow::FieldVector fields = layout->key_fields;
  for (auto& spec : layout->aggregates) {
    const std::string display = DisplayName(spec);
    if (spec.output_name.empty()) spec.output_name = display;
    int column = -1;
    if (spec.function == AggregateFunction::kCountAll) {
      if (!spec.column.empty()) {
        return Status::Invalid("count_all counts rows and takes no column, got '", spec.column, "'");
      }
    } else {
      if (spec.column.empty()) return Status::Invalid(ToString(spec.function), " needs an input column");
      ARROW_ASSIGN_OR_RAISE(column, ResolveColumn(*input, spec.column, display));
    }
    layout->aggregate_columns.push_back(column);
  }
  std::set<std::string> names;
  for (const auto& field : fields) names.insert(field->name());
  if (names.size() != fields.size()) {
    return Status::Invalid("a group key is listed more than once: ", JoinNames(keys));
  }
  // Making one state checks every aggregate's type; its accumulators give the types.
  ARROW_ASSIGN_OR_RAISE(auto state, MakeFromLayout(layout));
  for (size_t a = 0; a < layout->aggregates.size(); ++a) {
    const std::string& name = layout->aggregates[a].output_name;
    if (!names.insert(name).second) {
      return Status::Invalid("output column '", name, "' is defined more than once");
    }
    fields.push_back(arrow::field(name, state->accumulators_[a]->output_type()));
  }
  layout->output = arrow::schema(std::move(fields));
  return state;
}

Result<std::unique_ptr<HashAggregateState>> HashAggregateState::MakeFromLayout(
    std::shared_ptr<const Layout> layout, std::unique_ptr<arrow::compute::Grouper> grouper) {
  if (grouper == nullptr && !layout->key_columns.empty()) {
    ARROW_ASSIGN_OR_RAISE(grouper, MakeGrouper(*layout->input, layout->key_columns, layout->decode_dictionary_keys));
  }
  std::vector<std::unique_ptr<GroupedAccumulator>> accumulators;
  for (size_t a = 0; a < layout->aggregates.size(); ++a) {
    const int column = layout->aggregate_columns[a];
    ARROW_ASSIGN_OR_RAISE(auto accumulator,
                          MakeAccumulator(layout->aggregates[a],
                                          column < 0 ? nullptr : layout->input->field(column)->type()));
    accumulators.push_back(std::move(accumulator));
  }
  return std::unique_ptr<HashAggregateState>(
      new HashAggregateState(std::move(layout), std::move(grouper), std::move(accumulators)));
}

HashAggregateState::HashAggregateState(std::shared_ptr<const Layout> layout,
                                       std::unique_ptr<arrow::compute::Grouper> grouper,
                                       std::vector<std::unique_ptr<GroupedAccumulator>> accumulators)
    : layout_(std::move(layout)), grouper_(std::move(grouper)), accumulators_(std::move(accumulators)) {
  // Without keys the single group exists before any row, so empty input gives one row.
  if (grouper_ == nullptr) {
    num_groups_ = 1;
    ResizeAccumulators();
  }
}

HashAggregateState::~HashAggregateState() = default;

Result<std::unique_ptr<HashAggregateState>> HashAggregateState::MakeEmpty() const {
  return MakeFromLayout(layout_);
}

const std::shared_ptr<arrow::Schema>& HashAggregateState::output_schema() const { return layout_->output; }
const std::shared_ptr<arrow::Schema>& HashAggregateState::input_schema() const { return layout_->input; }
const std::vector<int>& HashAggregateState::key_columns() const { return layout_->key_columns; }

int64_t HashAggregateState::EstimatedMemory() const {
  // Per group: its key values, about 16 bytes of state per aggregate, and the Grouper's
  // hash table entry and group id.
  const int64_t key_bytes = rows_seen_ > 0 ? key_bytes_seen_ / rows_seen_ : 0;
  const int64_t per_group = key_bytes + 16 * static_cast<int64_t>(accumulators_.size()) + 32;
  return static_cast<int64_t>(num_groups_) * per_group;
}

Result<std::shared_ptr<arrow::RecordBatch>> HashAggregateState::ConsumeExistingGroups(
    const std::shared_ptr<arrow::RecordBatch>& batch) {
  const int64_t length = batch->num_rows();
  if (length == 0) return nullptr;
  if (grouper_ == nullptr) {  // the one global group always exists
    ARROW_RETURN_NOT_OK(Consume(*batch));
    return nullptr;
  }
  for (int k : layout_->key_columns) ARROW_RETURN_NOT_OK(CheckColumnType(*batch, *layout_->input, k));
  std::vector<arrow::compute::ExecValue> keys;
  for (int k : layout_->key_columns) keys.emplace_back(*batch->column_data(k));
  ARROW_ASSIGN_OR_RAISE(arrow::Datum ids, grouper_->Lookup(arrow::compute::ExecSpan(std::move(keys), length)));
  const auto& found = *ids.array();
  if (found.GetNullCount() == 0) {
    ARROW_RETURN_NOT_OK(Consume(*batch));
    return nullptr;
  }
  arrow::UInt32Builder existing, fresh;
  ARROW_RETURN_NOT_OK(existing.Reserve(length));
  ARROW_RETURN_NOT_OK(fresh.Reserve(length));
  const uint8_t* valid = found.buffers[0]->data();
  for (int64_t i = 0; i < length; ++i) {
    if (arrow::bit_util::GetBit(valid, found.offset + i)) {
      existing.UnsafeAppend(static_cast<uint32_t>(i));
    } else {
      fresh.UnsafeAppend(static_cast<uint32_t>(i));
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto existing_rows, existing.Finish());
  ARROW_ASSIGN_OR_RAISE(auto fresh_rows, fresh.Finish());
  if (existing_rows->length() > 0) {
    ARROW_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(arrow::Datum(batch), arrow::Datum(existing_rows)));
    ARROW_RETURN_NOT_OK(Consume(*taken.record_batch()));
  }
  ARROW_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(arrow::Datum(batch), arrow::Datum(fresh_rows)));
  return taken.record_batch();
}

void HashAggregateState::ResizeAccumulators() {
  for (auto& accumulator : accumulators_) accumulator->Resize(num_groups_);
}

Status HashAggregateState::Consume(const arrow::RecordBatch& batch, std::vector<uint32_t>* group_ids_out) {
  const int64_t length = batch.num_rows();
  if (length == 0) return Status::OK();
  SABOT_CHECK(batch.num_columns() == layout_->input->num_fields());
  for (int k : layout_->key_columns) ARROW_RETURN_NOT_OK(CheckColumnType(batch, *layout_->input, k));
  for (int c : layout_->aggregate_columns) {
    if (c >= 0) ARROW_RETURN_NOT_OK(CheckColumnType(batch, *layout_->input, c));
  }
  const uint32_t* group_ids = nullptr;
  arrow::Datum ids;
  if (grouper_ != nullptr) {
    std::vector<arrow::compute::ExecValue> keys;
    for (int k : layout_->key_columns) keys.emplace_back(*batch.column_data(k));
    ARROW_ASSIGN_OR_RAISE(ids, grouper_->Consume(arrow::compute::ExecSpan(std::move(keys), length)));
    group_ids = ids.array()->GetValues<uint32_t>(1);
    if (group_ids_out != nullptr) group_ids_out->assign(group_ids, group_ids + length);
    num_groups_ = grouper_->num_groups();
    ResizeAccumulators();
    for (int k : layout_->key_columns) {
      ARROW_ASSIGN_OR_RAISE(int64_t bytes, arrow::util::ReferencedBufferSize(*batch.column_data(k)));
      key_bytes_seen_ += bytes;
    }
    rows_seen_ += length;
  } else {
    if (static_cast<int64_t>(global_group_ids_.size()) < length) global_group_ids_.resize(length, 0);
    group_ids = global_group_ids_.data();
    if (group_ids_out != nullptr) group_ids_out->assign(static_cast<size_t>(length), 0);
  }
  for (size_t a = 0; a < accumulators_.size(); ++a) {
    const int column = layout_->aggregate_columns[a];
    if (column < 0) {
      ARROW_RETURN_NOT_OK(accumulators_[a]->Consume(nullptr, group_ids, length));
      continue;
    }
    const arrow::ArraySpan values(*batch.column_data(column));
    ARROW_RETURN_NOT_OK(accumulators_[a]->Consume(&values, group_ids, length));
  }
  return Status::OK();
}

Status HashAggregateState::Merge(HashAggregateState& other) {
  SABOT_CHECK(other.layout_ == layout_ && other.accumulators_.size() == accumulators_.size());
  std::vector<uint32_t> mapping;
  arrow::Datum mapped;
  const uint32_t* group_id_mapping = nullptr;
  if (grouper_ != nullptr) {
    if (other.num_groups_ == 0) return Status::OK();
    // Feeding other's distinct keys through our grouper maps its ids to ours.
    ARROW_ASSIGN_OR_RAISE(arrow::compute::ExecBatch uniques, other.grouper_->GetUniques());
    ARROW_ASSIGN_OR_RAISE(mapped, grouper_->Consume(arrow::compute::ExecSpan(uniques)));
    group_id_mapping = mapped.array()->GetValues<uint32_t>(1);
    num_groups_ = grouper_->num_groups();
    ResizeAccumulators();
  } else {
    mapping.assign(1, 0);
    group_id_mapping = mapping.data();
  }
  for (size_t a = 0; a < accumulators_.size(); ++a) {
    ARROW_RETURN_NOT_OK(accumulators_[a]->Merge(*other.accumulators_[a], group_id_mapping));
  }
  return Status::OK();
}

Result<std::pair<std::unique_ptr<HashAggregateState>, std::vector<uint32_t>>> HashAggregateState::CopyWithout(
    const std::vector<uint8_t>* drop) const {
  if (grouper_ == nullptr || num_groups_ == 0) return CopyGroups(nullptr, nullptr);
  ARROW_ASSIGN_OR_RAISE(arrow::compute::ExecBatch uniques, grouper_->GetUniques());
  if (drop == nullptr) return CopyGroups(&uniques, nullptr);
  std::vector<int32_t> kept;
  for (uint32_t g = 0; g < num_groups_; ++g) {
    if (!(*drop)[g]) kept.push_back(static_cast<int32_t>(g));
  }
  return CopyGroups(&uniques, &kept);
}

Result<std::pair<std::unique_ptr<HashAggregateState>, std::vector<uint32_t>>> HashAggregateState::CopyGroups(
    const arrow::compute::ExecBatch* uniques, const std::vector<int32_t>* kept) const {
  ARROW_ASSIGN_OR_RAISE(auto copy, MakeEmpty());
  std::vector<uint32_t> mapping(std::max<uint32_t>(num_groups_, 1), 0);
  if (grouper_ != nullptr && num_groups_ > 0) {
    // Feeding the kept keys through the copy's grouper gives their ids there.
    std::fill(mapping.begin(), mapping.end(), kDropGroup);
    const int64_t rows = kept == nullptr ? uniques->length : static_cast<int64_t>(kept->size());
    if (rows > 0) {
      std::vector<arrow::Datum> keys;
      for (const auto& value : uniques->values) {
        if (kept == nullptr) {
          keys.push_back(value);
          continue;
        }
        arrow::Int32Array indices(rows, arrow::Buffer::Wrap(*kept));
        ARROW_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(value, arrow::Datum(indices)));
        keys.push_back(std::move(taken));
      }
      ARROW_ASSIGN_OR_RAISE(arrow::compute::ExecBatch kept_keys, arrow::compute::ExecBatch::Make(std::move(keys), rows));
      ARROW_ASSIGN_OR_RAISE(arrow::Datum ids, copy->grouper_->Consume(arrow::compute::ExecSpan(kept_keys)));
      const uint32_t* new_ids = ids.array()->GetValues<uint32_t>(1);
      for (int64_t i = 0; i < rows; ++i) mapping[kept == nullptr ? i : (*kept)[i]] = new_ids[i];
      copy->num_groups_ = copy->grouper_->num_groups();
      copy->ResizeAccumulators();
    }
    copy->key_bytes_seen_ = key_bytes_seen_;
    copy->rows_seen_ = rows_seen_;
  }
  for (size_t a = 0; a < accumulators_.size(); ++a) {
    // Merge leaves its source unchanged, so reading this state through it is safe.
    ARROW_RETURN_NOT_OK(copy->accumulators_[a]->Merge(*accumulators_[a], mapping.data()));
  }
  return std::make_pair(std::move(copy), std::move(mapping));
}

Result<std::vector<uint16_t>> HashAggregateState::GroupKeyGroups(int num_key_groups) const {
  std::vector<uint16_t> groups;
  if (grouper_ == nullptr) {  // the one group has the empty key
    groups.assign(num_groups_, static_cast<uint16_t>(KeyGroupOf(std::string(), num_key_groups)));
    return groups;
  }
  if (num_groups_ == 0) return groups;
  ARROW_ASSIGN_OR_RAISE(arrow::compute::ExecBatch uniques, grouper_->GetUniques());
  arrow::FieldVector fields;
  std::vector<std::shared_ptr<arrow::Array>> columns;
  std::vector<int> key_columns;
  for (size_t k = 0; k < layout_->key_columns.size(); ++k) {
    fields.push_back(layout_->key_fields[k]);
    columns.push_back(uniques.values[k].make_array());
    key_columns.push_back(static_cast<int>(k));
  }
  auto keys = arrow::RecordBatch::Make(arrow::schema(std::move(fields)), uniques.length, std::move(columns));
  ARROW_RETURN_NOT_OK(KeyGroupsOf(*keys, key_columns, num_key_groups, &groups));
  return groups;
}

Result<std::shared_ptr<arrow::RecordBatch>> HashAggregateState::SaveGroups(const std::vector<uint8_t>& keep) const {
  std::vector<int32_t> kept;
  for (uint32_t g = 0; g < num_groups_; ++g) {
    if (g < keep.size() && keep[g]) kept.push_back(static_cast<int32_t>(g));
  }
  const auto rows = static_cast<int64_t>(kept.size());
  arrow::Int32Array indices(rows, arrow::Buffer::Wrap(kept));
  arrow::FieldVector fields;
  std::vector<std::shared_ptr<arrow::Array>> columns;
  if (grouper_ != nullptr && num_groups_ > 0) {
    ARROW_ASSIGN_OR_RAISE(arrow::compute::ExecBatch uniques, grouper_->GetUniques());
    for (size_t k = 0; k < layout_->key_columns.size(); ++k) {
      ARROW_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(uniques.values[k], arrow::Datum(indices)));
      columns.push_back(taken.make_array());
    }
  } else {
    for (const auto& key : layout_->key_fields) {
      ARROW_ASSIGN_OR_RAISE(auto empty, arrow::MakeEmptyArray(key->type()));
      columns.push_back(std::move(empty));
    }
  }
  fields = layout_->key_fields;
  for (size_t a = 0; a < accumulators_.size(); ++a) {
    ARROW_ASSIGN_OR_RAISE(auto state, accumulators_[a]->SaveState());
    ARROW_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(state, indices));
    fields.push_back(arrow::field(layout_->aggregates[a].output_name + ".state", state->type()));
    columns.push_back(taken.make_array());
  }
  return arrow::RecordBatch::Make(arrow::schema(std::move(fields)), rows, std::move(columns));
}

Result<std::vector<uint32_t>> HashAggregateState::LoadGroups(const arrow::RecordBatch& saved) {
  const auto num_keys = static_cast<int>(layout_->key_columns.size());
  const int64_t rows = saved.num_rows();
  if (saved.num_columns() != num_keys + static_cast<int>(accumulators_.size())) {
    return Status::Invalid("aggregate state: ", saved.num_columns(), " columns, this aggregation keeps ", num_keys,
                           " keys and ", accumulators_.size(), " aggregates");
  }
  for (int k = 0; k < num_keys; ++k) {
    const auto& expected = *layout_->key_fields[k]->type();
    if (!saved.column(k)->type()->Equals(expected)) {
      return Status::TypeError("aggregate state: key column '", saved.schema()->field(k)->name(), "' is ",
                               FormatDataType(*saved.column(k)->type()), ", expected ", FormatDataType(expected));
    }
  }
  std::vector<uint32_t> ids(static_cast<size_t>(rows), 0);
  if (grouper_ != nullptr) {
    if (rows > 0) {
      std::vector<arrow::compute::ExecValue> keys;
      for (int k = 0; k < num_keys; ++k) keys.emplace_back(*saved.column_data(k));
      ARROW_ASSIGN_OR_RAISE(arrow::Datum got, grouper_->Consume(arrow::compute::ExecSpan(std::move(keys), rows)));
      const uint32_t* got_ids = got.array()->GetValues<uint32_t>(1);
      ids.assign(got_ids, got_ids + rows);
      num_groups_ = grouper_->num_groups();
      ResizeAccumulators();
    }
  } else if (rows > 1) {
    return Status::Invalid("aggregate state: ", rows, " groups for an aggregation without keys");
  }
  for (size_t a = 0; a < accumulators_.size(); ++a) {
    const int column = layout_->aggregate_columns[a];
    ARROW_ASSIGN_OR_RAISE(auto loaded, MakeAccumulator(layout_->aggregates[a],
                                                       column < 0 ? nullptr : layout_->input->field(column)->type()));
    ARROW_RETURN_NOT_OK(loaded->LoadState(*saved.column(num_keys + static_cast<int>(a))));
    if (loaded->num_groups() != rows) {
      return Status::Invalid("aggregate state of '", layout_->aggregates[a].output_name, "': ", loaded->num_groups(),
                             " groups for ", rows, " keys");
    }
    ARROW_RETURN_NOT_OK(accumulators_[a]->Merge(*loaded, ids.data()));
  }
  return ids;
}

int64_t HashAggregateState::MergeEntries() const {
  int64_t entries = 0;
  for (const auto& accumulator : accumulators_) entries += accumulator->merge_entries();
  return entries;
}

int64_t HashAggregateState::LargestEntries() const {
  int64_t largest = num_groups_;
  for (const auto& accumulator : accumulators_) largest = std::max(largest, accumulator->merge_entries());
  return largest;
}

bool HashAggregateState::CanPartitionByKeyHash() const {
  if (!CanSplitByKeyHash()) return false;
  for (size_t k = 0; k < layout_->key_columns.size(); ++k) {
    const auto& input = layout_->input->field(layout_->key_columns[k])->type();
    if (!input->Equals(*layout_->key_fields[k]->type())) return false;
  }
  for (size_t a = 0; a < layout_->aggregates.size(); ++a) {
    switch (layout_->aggregates[a].function) {
      case AggregateFunction::kMean:
      case AggregateFunction::kVariance:
      case AggregateFunction::kStddev:
        return false;
      case AggregateFunction::kSum:
        if (arrow::is_floating(layout_->input->field(layout_->aggregate_columns[a])->type()->id())) return false;
        break;
      default:
        break;
    }
  }
  return true;
}

Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> HashAggregateState::PartitionByKeyHash(
    const std::shared_ptr<arrow::RecordBatch>& batch, int parts) const {
  SABOT_CHECK(parts >= 1 && parts <= 256 && CanPartitionByKeyHash());
  std::vector<std::shared_ptr<arrow::RecordBatch>> out(static_cast<size_t>(parts));
  const int64_t length = batch->num_rows();
  if (length == 0) return out;
  std::vector<std::shared_ptr<arrow::Array>> key_arrays;
  for (int k : layout_->key_columns) {
    ARROW_RETURN_NOT_OK(CheckColumnType(*batch, *layout_->input, k));
    key_arrays.push_back(batch->column(k));
  }
  ARROW_ASSIGN_OR_RAISE(auto keys, JoinKeys::Make(key_arrays));
  std::vector<std::vector<int32_t>> rows(static_cast<size_t>(parts));
  for (auto& part : rows) part.reserve(static_cast<size_t>(length / parts + 64));
  for (int64_t i = 0; i < length; ++i) rows[PartOfKey(keys, i, parts)].push_back(static_cast<int32_t>(i));
  const arrow::Datum whole(batch);
  for (size_t p = 0; p < rows.size(); ++p) {
    if (rows[p].empty()) continue;
    if (static_cast<int64_t>(rows[p].size()) == length) {
      out[p] = batch;
      continue;
    }
    arrow::Int32Array indices(static_cast<int64_t>(rows[p].size()), arrow::Buffer::Wrap(rows[p]));
    ARROW_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(whole, arrow::Datum(indices)));
    out[p] = taken.record_batch();
  }
  return out;
}

bool HashAggregateState::CanSplitByKeyHash() const {
  if (layout_->key_columns.empty()) return false;
  for (const auto& key : layout_->key_fields) {
    if (!IsSupportedJoinKeyType(*key->type())) return false;
  }
  return true;
}

Result<std::vector<std::unique_ptr<HashAggregateState>>> HashAggregateState::SplitByKeyHash(int parts) {
  SABOT_CHECK(parts >= 1 && parts <= 256 && CanSplitByKeyHash());
  std::vector<std::unique_ptr<HashAggregateState>> out;
  if (num_groups_ == 0) {
    for (int p = 0; p < parts; ++p) {
      ARROW_ASSIGN_OR_RAISE(auto empty, MakeEmpty());
      out.push_back(std::move(empty));
    }
    return out;
  }
  ARROW_ASSIGN_OR_RAISE(arrow::compute::ExecBatch uniques, grouper_->GetUniques());
  std::vector<std::shared_ptr<arrow::Array>> key_arrays;
  for (const auto& value : uniques.values) key_arrays.push_back(value.make_array());
  ARROW_ASSIGN_OR_RAISE(auto keys, JoinKeys::Make(key_arrays));
  std::vector<std::vector<int32_t>> groups(static_cast<size_t>(parts));
  for (uint32_t g = 0; g < num_groups_; ++g) groups[PartOfKey(keys, g, parts)].push_back(static_cast<int32_t>(g));
  // Each part gets its keys first, then every accumulator hands its groups out in one
  // call (see GroupedAccumulator::SplitInto). A part's keys stay a list (its group ids
  // their places in it) until rows must be mapped: the lane merging it reads the list
  // only (see KeyListGrouper).
  std::vector<uint8_t> part_of(num_groups_);
  std::vector<uint32_t> new_ids(num_groups_);
  for (int p = 0; p < parts; ++p) {
    const std::vector<int32_t>& kept = groups[static_cast<size_t>(p)];
    const int64_t rows = static_cast<int64_t>(kept.size());
    std::vector<arrow::Datum> part_keys;
    for (const auto& value : uniques.values) {
      arrow::Int32Array indices(rows, arrow::Buffer::Wrap(kept));
      ARROW_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(value, arrow::Datum(indices)));
      part_keys.push_back(std::move(taken));
    }
    ARROW_ASSIGN_OR_RAISE(arrow::compute::ExecBatch key_list, arrow::compute::ExecBatch::Make(std::move(part_keys), rows));
    const std::shared_ptr<const Layout> layout = layout_;
    auto make_table = [layout] {
      return MakeGrouper(*layout->input, layout->key_columns, layout->decode_dictionary_keys);
    };
    ARROW_ASSIGN_OR_RAISE(auto part, MakeFromLayout(layout_, MakeKeyListGrouper(std::move(key_list), make_table)));
    part->num_groups_ = static_cast<uint32_t>(rows);
    part->ResizeAccumulators();
    part->key_bytes_seen_ = key_bytes_seen_;
    part->rows_seen_ = rows_seen_;
    for (int64_t i = 0; i < rows; ++i) {
      part_of[static_cast<size_t>(kept[static_cast<size_t>(i)])] = static_cast<uint8_t>(p);
      new_ids[static_cast<size_t>(kept[static_cast<size_t>(i)])] = static_cast<uint32_t>(i);
    }
    out.push_back(std::move(part));
  }
  std::vector<GroupedAccumulator*> into(out.size());
  for (size_t a = 0; a < accumulators_.size(); ++a) {
    for (size_t p = 0; p < out.size(); ++p) into[p] = out[p]->accumulators_[a].get();
    ARROW_RETURN_NOT_OK(accumulators_[a]->SplitInto(into, part_of.data(), new_ids.data()));
  }
  grouper_.reset();
  accumulators_.clear();
  num_groups_ = 0;
  return out;
}

Result<std::shared_ptr<arrow::RecordBatch>> HashAggregateState::ResultsSoFar() const {
  ARROW_ASSIGN_OR_RAISE(auto copied, CopyWithout(nullptr));
  auto& [copy, mapping] = copied;
  ARROW_ASSIGN_OR_RAISE(auto batches, copy->Finalize(std::numeric_limits<int64_t>::max()));
  if (batches.empty()) return arrow::RecordBatch::MakeEmpty(output_schema());
  auto results = batches.front();
  if (grouper_ == nullptr) return results;
  // Row i of the copy's results is the copy's group i; put them in this state's order.
  std::vector<uint32_t> order(mapping.begin(), mapping.begin() + num_groups_);
  arrow::UInt32Array indices(static_cast<int64_t>(order.size()), arrow::Buffer::Wrap(order));
  ARROW_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(arrow::Datum(results), arrow::Datum(indices)));
  return taken.record_batch();
}

Result<std::vector<uint32_t>> HashAggregateState::Forget(const std::vector<uint8_t>& drop) {
  SABOT_CHECK(grouper_ != nullptr && drop.size() >= num_groups_);
  ARROW_ASSIGN_OR_RAISE(auto copied, CopyWithout(&drop));
  auto& [copy, mapping] = copied;
  grouper_ = std::move(copy->grouper_);
  accumulators_ = std::move(copy->accumulators_);
  num_groups_ = copy->num_groups_;
  mapping.resize(drop.size(), kDropGroup);
  return std::move(mapping);
}

Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> HashAggregateState::Finalize(
    int64_t max_batch_rows) {
  SABOT_CHECK(max_batch_rows > 0);
  std::vector<std::shared_ptr<arrow::Array>> columns;
  if (grouper_ != nullptr) {
    ARROW_ASSIGN_OR_RAISE(arrow::compute::ExecBatch uniques, grouper_->GetUniques());
    for (const auto& value : uniques.values) columns.push_back(value.make_array());
    grouper_.reset();  // the key table is no longer needed; free it before building output
  }
  for (auto& accumulator : accumulators_) {
    ARROW_ASSIGN_OR_RAISE(auto column, accumulator->Finalize());
    accumulator.reset();
    columns.push_back(std::move(column));
  }
  const auto& schema = layout_->output;
  SABOT_CHECK(static_cast<int>(columns.size()) == schema->num_fields());
  for (size_t c = 0; c < columns.size(); ++c) {
    SABOT_CHECK(columns[c]->length() == num_groups_);
    SABOT_CHECK(columns[c]->type()->Equals(*schema->field(static_cast<int>(c))->type()));
  }
  auto all = arrow::RecordBatch::Make(schema, num_groups_, std::move(columns));
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  for (int64_t offset = 0; offset < num_groups_; offset += max_batch_rows) {
    batches.push_back(all->Slice(offset, std::min<int64_t>(max_batch_rows, num_groups_ - offset)));
  }
  return batches;
}

HashAggregateOperator::HashAggregateOperator(std::unique_ptr<HashAggregateState> state,
                                             std::shared_ptr<MemoryBudget> budget)
    : Operator(state->output_schema()),
      aggregation_(std::make_unique<SpillingAggregation>(std::move(state), std::move(budget))) {}

HashAggregateOperator::~HashAggregateOperator() = default;

Result<Flow> HashAggregateOperator::Push(int port, Message message) {
  if (aggregation_ == nullptr) return Flow::kStop;  // the result was emitted; nothing may follow
  switch (message.kind()) {
    case MessageKind::kBatch:
      ARROW_RETURN_NOT_OK(aggregation_->Consume(message.batch()));
      return Flow::kContinue;
    case MessageKind::kEndOfStream: {
      auto aggregation = std::move(aggregation_);
      ARROW_ASSIGN_OR_RAISE(Flow flow, aggregation->Finish([this](std::shared_ptr<arrow::RecordBatch> batch) {
        return Emit(Message::Batch(std::move(batch)));
      }));
      aggregation.reset();
      // A downstream that stopped (a satisfied limit) has ended its own stream.
      if (flow == Flow::kStop) return Flow::kStop;
      ARROW_RETURN_NOT_OK(Emit(Message::EndOfStream()));
      return Flow::kStop;
    }
    default:
      return Emit(std::move(message));
  }
}

Result<std::unique_ptr<Operator>> MakeHashAggregate(const std::shared_ptr<arrow::Schema>& input,
                                                    const std::vector<std::string>& keys,
                                                    const std::vector<AggregateSpec>& aggregates,
                                                    std::shared_ptr<MemoryBudget> budget,
                                                    bool decode_dictionary_keys) {
  ARROW_ASSIGN_OR_RAISE(auto state, HashAggregateState::Make(input, keys, aggregates, decode_dictionary_keys));
  return std::make_unique<HashAggregateOperator>(std::move(state), std::move(budget));
}

}  // namespace sabot
