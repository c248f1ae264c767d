// RowsWindowOperator: per-key rings of the last N rows with running counts, sums and
// extremes, so each row costs O(1) except when an extreme leaves its frame.
#include "sabot/ops/rows_window.h"

#include <algorithm>
#include <limits>

#include <arrow/api.h>
#include <arrow/compute/api.h>

#include "sabot/common/type_names.h"
#include "sabot/expr/bind.h"

namespace sabot {

namespace cp = arrow::compute;

namespace {

// Temporal types are read as the integers they are stored as.
bool IsTemporal(const arrow::DataType& type) {
  return arrow::is_temporal(type.id()) && type.id() != arrow::Type::INTERVAL_MONTHS &&
         type.id() != arrow::Type::INTERVAL_DAY_TIME && type.id() != arrow::Type::INTERVAL_MONTH_DAY_NANO;
}

// The column as int64 (integers, temporal types) or float64 values.
Result<std::shared_ptr<arrow::Array>> ReadAs(const std::shared_ptr<arrow::Array>& column, FrameValueKind kind) {
  const auto& type = *column->type();
  if (kind == FrameValueKind::kValidity) return column;
  if (kind == FrameValueKind::kFloat) {
    if (type.id() == arrow::Type::DOUBLE) return column;
    ARROW_ASSIGN_OR_RAISE(auto cast, cp::Cast(*column, arrow::float64()));
    return cast;
  }
  if (type.id() == arrow::Type::INT64) return column;
  std::shared_ptr<arrow::Array> ints = column;
  if (IsTemporal(type)) {
    const int width = static_cast<const arrow::FixedWidthType&>(type).bit_width();
    ARROW_ASSIGN_OR_RAISE(ints, column->View(width == 64 ? arrow::int64() : arrow::int32()));
    if (width == 64) return ints;
  }
  ARROW_ASSIGN_OR_RAISE(auto cast, cp::Cast(*ints, arrow::int64()));
  return cast;
}

// int64 or float64 results as `type`, the type of the column they came from.
Result<std::shared_ptr<arrow::Array>> WriteAs(const std::shared_ptr<arrow::Array>& values,
                                              const std::shared_ptr<arrow::DataType>& type) {
  if (values->type()->Equals(*type)) return values;
  if (IsTemporal(*type)) {
    const int width = static_cast<const arrow::FixedWidthType&>(*type).bit_width();
    std::shared_ptr<arrow::Array> ints = values;
    if (width != 64) {
      ARROW_ASSIGN_OR_RAISE(auto cast, cp::Cast(*values, arrow::int32()));
      ints = cast;
    }
    return ints->View(type);
  }
  ARROW_ASSIGN_OR_RAISE(auto cast, cp::Cast(*values, type));
  return cast;
}

bool Valid(const arrow::ArrayData& data, int64_t row) {
  return data.null_count == 0 || data.buffers[0] == nullptr ||
         arrow::bit_util::GetBit(data.buffers[0]->data(), data.offset + row);
}

}  // namespace

RowsWindowOperator::RowsWindowOperator(std::shared_ptr<arrow::Schema> output, std::vector<int> key_columns,
                                       int64_t rows, std::vector<ValueColumn> values,
                                       std::vector<Aggregate> aggregates, RowsWindowOptions options)
    : BatchTransform(std::move(output)),
      key_columns_(std::move(key_columns)),
      rows_(rows),
      values_(std::move(values)),
      aggregates_(std::move(aggregates)),
      options_(options),
      groups_(static_cast<size_t>(options.range.end - options.range.begin)) {}

std::vector<std::string> RowsWindowOperator::KeysOf(int key_group) const {
  std::vector<std::string> keys;
  if (!options_.range.Contains(key_group)) return keys;
  for (const auto& [key, frame] : groups_[static_cast<size_t>(key_group - options_.range.begin)]) {
    keys.push_back(key);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

void RowsWindowOperator::Recompute(Frame& frame, size_t column) const {
  const size_t width = values_.size();
  const bool is_float = values_[column].kind == FrameValueKind::kFloat;
  int64_t count = 0;
  Value sum{}, lo{}, hi{};
  for (int64_t slot = 0; slot < frame.size; ++slot) {
    const size_t at = static_cast<size_t>(slot) * width + column;
    if (!frame.valid[at]) continue;
    const Value v = frame.values[at];
    if (values_[column].kind == FrameValueKind::kValidity) {
      // only counted
    } else if (is_float) {
      sum.d += v.d;
      lo.d = count == 0 ? v.d : std::min(lo.d, v.d);
      hi.d = count == 0 ? v.d : std::max(hi.d, v.d);
    } else {
      sum.i += v.i;  // the frame's sum was checked for overflow as its rows came in
      lo.i = count == 0 ? v.i : std::min(lo.i, v.i);
      hi.i = count == 0 ? v.i : std::max(hi.i, v.i);
    }
    ++count;
  }
  frame.count[column] = count;
  frame.sum[column] = sum;
  frame.min[column] = lo;
  frame.max[column] = hi;
}

Status RowsWindowOperator::Advance(Frame& frame, const std::vector<const arrow::ArrayData*>& inputs, int64_t row) {
  const size_t width = values_.size();
  size_t slot;
  const bool full = frame.size == rows_;
  if (!full) {
    slot = static_cast<size_t>(frame.size++);
    frame.values.resize(frame.values.size() + width);
    frame.valid.resize(frame.valid.size() + width);
    ++held_rows_;
  } else {
    slot = static_cast<size_t>(frame.next);
    frame.next = frame.next + 1 == rows_ ? 0 : frame.next + 1;
  }
  for (size_t c = 0; c < width; ++c) {
    const size_t at = slot * width + c;
    const bool is_float = values_[c].kind == FrameValueKind::kFloat;
    // The oldest row leaves first.
    bool stale_extreme = false;
    if (full && frame.valid[at] && values_[c].kind == FrameValueKind::kValidity) {
      --frame.count[c];
    } else if (full && frame.valid[at]) {
      const Value old = frame.values[at];
      --frame.count[c];
      if (is_float) {
        frame.sum[c].d -= old.d;
        stale_extreme = old.d <= frame.min[c].d || old.d >= frame.max[c].d;
      } else {
        frame.sum[c].i -= old.i;
        stale_extreme = old.i <= frame.min[c].i || old.i >= frame.max[c].i;
      }
    }
    const arrow::ArrayData& data = *inputs[c];
    const bool valid = Valid(data, row);
    frame.valid[at] = valid;
    if (valid && values_[c].kind == FrameValueKind::kValidity) {
      ++frame.count[c];
    } else if (valid) {
      Value v;
      if (is_float) {
        v.d = data.GetValues<double>(1)[row];
        frame.sum[c].d += v.d;
        frame.min[c].d = frame.count[c] == 0 ? v.d : std::min(frame.min[c].d, v.d);
        frame.max[c].d = frame.count[c] == 0 ? v.d : std::max(frame.max[c].d, v.d);
      } else {
        v.i = data.GetValues<int64_t>(1)[row];
        if (__builtin_add_overflow(frame.sum[c].i, v.i, &frame.sum[c].i)) {
          return Status::Invalid("integer overflow in the sum of column '",
                                 output_schema()->field(values_[c].column)->name(), "' over a frame of ", rows_,
                                 " rows");
        }
        frame.min[c].i = frame.count[c] == 0 ? v.i : std::min(frame.min[c].i, v.i);
        frame.max[c].i = frame.count[c] == 0 ? v.i : std::max(frame.max[c].i, v.i);
      }
      frame.values[at] = v;
      ++frame.count[c];
    }
    // An extreme that left is found again among the rows still there; a floating sum is
    // summed afresh each time the ring wraps, so rounding cannot pile up over a long run.
    if (stale_extreme || (is_float && full && frame.next == 0)) Recompute(frame, c);
  }
  return Status::OK();
}

Result<std::shared_ptr<arrow::RecordBatch>> RowsWindowOperator::Transform(
    const std::shared_ptr<arrow::RecordBatch>& batch) {
  const int64_t n = batch->num_rows();
  ARROW_RETURN_NOT_OK(EncodeKeys(*batch, key_columns_, &keys_));
  std::vector<std::shared_ptr<arrow::Array>> inputs;
  std::vector<const arrow::ArrayData*> data;
  for (const auto& value : values_) {
    ARROW_ASSIGN_OR_RAISE(auto read, ReadAs(batch->column(value.column), value.kind));
    data.push_back(read->data().get());
    inputs.push_back(std::move(read));
  }

  // Results per aggregate, as int64 or float64 values with validity.
  const size_t num_aggs = aggregates_.size();
  std::vector<std::vector<Value>> results(num_aggs, std::vector<Value>(static_cast<size_t>(n)));
  std::vector<std::vector<uint8_t>> result_valid(num_aggs, std::vector<uint8_t>(static_cast<size_t>(n), 1));

  const size_t width = values_.size();
  for (int64_t row = 0; row < n; ++row) {
    const std::string& key = keys_[static_cast<size_t>(row)];
    const int key_group = KeyGroupOf(key, options_.num_key_groups);
    SABOT_CHECK(options_.range.Contains(key_group));
    Group& group = groups_[static_cast<size_t>(key_group - options_.range.begin)];
    auto [it, inserted] = group.try_emplace(key);
    Frame& frame = it->second;
    if (inserted) {
      ++num_keys_;
      frame.count.assign(width, 0);
      frame.sum.assign(width, Value{});
      frame.min.assign(width, Value{});
      frame.max.assign(width, Value{});
    }
    ARROW_RETURN_NOT_OK(Advance(frame, data, row));
    for (size_t a = 0; a < num_aggs; ++a) {
      const Aggregate& agg = aggregates_[a];
      Value& out = results[a][static_cast<size_t>(row)];
      if (agg.function == AggregateFunction::kCountAll) {
        out.i = frame.size;
        continue;
      }
      const auto c = static_cast<size_t>(agg.value);
      const int64_t count = frame.count[c];
      const bool is_float = values_[c].kind == FrameValueKind::kFloat;
      switch (agg.function) {
        case AggregateFunction::kCount: out.i = count; break;
        case AggregateFunction::kSum: out = frame.sum[c]; break;
        case AggregateFunction::kMean:
          out.d = is_float ? frame.sum[c].d / static_cast<double>(count)
                           : static_cast<double>(frame.sum[c].i) / static_cast<double>(count);
          break;
        case AggregateFunction::kMin: out = frame.min[c]; break;
        case AggregateFunction::kMax: out = frame.max[c]; break;
        default: SABOT_CHECK(false);
      }
      if (count == 0 && agg.function != AggregateFunction::kCount) result_valid[a][static_cast<size_t>(row)] = 0;
    }
  }

  std::vector<std::shared_ptr<arrow::Array>> columns = batch->columns();
  for (size_t a = 0; a < num_aggs; ++a) {
    const Aggregate& agg = aggregates_[a];
    const bool is_float = agg.function == AggregateFunction::kMean ||
                          (agg.value >= 0 && values_[static_cast<size_t>(agg.value)].kind == FrameValueKind::kFloat &&
                           agg.function != AggregateFunction::kCount);
    auto build = [&](auto builder, auto read) -> Result<std::shared_ptr<arrow::Array>> {
      ARROW_RETURN_NOT_OK(builder.Reserve(n));
      for (size_t row = 0; row < static_cast<size_t>(n); ++row) {
        if (result_valid[a][row]) {
          builder.UnsafeAppend(read(results[a][row]));
        } else {
          builder.UnsafeAppendNull();
        }
      }
      return builder.Finish();
    };
    std::shared_ptr<arrow::Array> values;
    if (is_float) {
      ARROW_ASSIGN_OR_RAISE(values, build(arrow::DoubleBuilder(), [](Value v) { return v.d; }));
    } else {
      ARROW_ASSIGN_OR_RAISE(values, build(arrow::Int64Builder(), [](Value v) { return v.i; }));
    }
    ARROW_ASSIGN_OR_RAISE(values, WriteAs(values, agg.output_type));
    columns.push_back(std::move(values));
  }
  return arrow::RecordBatch::Make(output_schema(), n, std::move(columns));
}

Result<std::unique_ptr<Operator>> MakeRowsWindow(const std::shared_ptr<arrow::Schema>& input,
                                                 const std::vector<std::string>& keys, int64_t rows,
                                                 const std::vector<AggregateSpec>& aggregates,
                                                 RowsWindowOptions options) {
  ARROW_RETURN_NOT_OK(EnsureComputeInitialized());
  if (keys.empty()) return Status::Invalid("a rows window needs at least one key column (by=)");
  if (rows < 1) return Status::Invalid("a rows window needs a frame of at least 1 row, got ", rows);
  if (aggregates.empty()) return Status::Invalid("a rows window needs at least one aggregate");
  if (options.num_key_groups < 1 || options.range.begin < 0 || options.range.end > options.num_key_groups ||
      options.range.begin >= options.range.end) {
    return Status::Invalid("a rows window's key groups [", options.range.begin, ", ", options.range.end,
                           ") do not fit in ", options.num_key_groups);
  }
  auto find = [&](const std::string& name, const char* what) -> Result<int> {
    const int index = input->GetFieldIndex(name);
    if (index < 0) {
      return Status::KeyError("rows window ", what, " '", name, "' does not exist; the columns are: ",
                              JoinNames(FieldNames(*input)));
    }
    return index;
  };
  std::vector<int> key_columns;
  for (const auto& key : keys) {
    ARROW_ASSIGN_OR_RAISE(int index, find(key, "key column"));
    if (!IsStableKeyType(*input->field(index)->type())) {
      return Status::TypeError("rows window key column '", key, "' has type ",
                               FormatDataType(*input->field(index)->type()), ", which cannot be a key");
    }
    key_columns.push_back(index);
  }

  std::vector<RowsWindowOperator::ValueColumn> values;
  std::vector<RowsWindowOperator::Aggregate> ops;
  auto fields = input->fields();
  for (const auto& spec : aggregates) {
    const std::string name = spec.output_name.empty() ? DisplayName(spec) : spec.output_name;
    if (input->GetFieldIndex(name) >= 0 ||
        std::any_of(fields.begin() + input->num_fields(), fields.end(),
                    [&](const auto& f) { return f->name() == name; })) {
      return Status::Invalid("rows window aggregate ", DisplayName(spec), " would be named '", name,
                             "', which is taken; give it another name");
    }
    RowsWindowOperator::Aggregate op{spec.function, -1, arrow::int64()};
    if (spec.function != AggregateFunction::kCountAll) {
      ARROW_ASSIGN_OR_RAISE(int index, find(spec.column, "aggregate column"));
      const auto& type = input->field(index)->type();
      const bool is_int = arrow::is_integer(type->id());
      const bool is_float = arrow::is_floating(type->id());
      switch (spec.function) {
        case AggregateFunction::kCount:
          break;
        case AggregateFunction::kSum:
        case AggregateFunction::kMean:
          if (!is_int && !is_float) {
            return Status::TypeError("rows window ", DisplayName(spec), ": column '", spec.column,
                                     "' has type ", FormatDataType(*type), "; expected a number");
          }
          op.output_type = spec.function == AggregateFunction::kMean || is_float ? arrow::float64() : arrow::int64();
          break;
        case AggregateFunction::kMin:
        case AggregateFunction::kMax:
          if (!is_int && !is_float && !IsTemporal(*type)) {
            return Status::TypeError("rows window ", DisplayName(spec), ": column '", spec.column,
                                     "' has type ", FormatDataType(*type),
                                     "; expected a number, date, time, timestamp or duration");
          }
          op.output_type = type;
          break;
        default:
          return Status::Invalid("rows window aggregate ", DisplayName(spec),
                                 ": a rows window computes count, count_all, sum, mean, min and max");
      }
      // count(x) reads only validity, so it counts a column of any type.
      const FrameValueKind kind = is_float                          ? FrameValueKind::kFloat
                                  : is_int || IsTemporal(*type)     ? FrameValueKind::kInt
                                                                    : FrameValueKind::kValidity;
      auto same = std::find_if(values.begin(), values.end(), [&](const auto& v) { return v.column == index; });
      if (same == values.end()) {
        values.push_back({index, kind});
        same = values.end() - 1;
      }
      op.value = static_cast<int>(same - values.begin());
    }
    ops.push_back(std::move(op));
    fields.push_back(arrow::field(name, ops.back().output_type));
  }
  return std::make_unique<RowsWindowOperator>(arrow::schema(std::move(fields)), std::move(key_columns), rows,
                                              std::move(values), std::move(ops), options);
}

}  // namespace sabot
