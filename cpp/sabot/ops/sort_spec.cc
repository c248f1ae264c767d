// SortSpec: checks ORDER BY keys and computes a stable permutation: an LSD radix sort for
// fixed-width keys, else Arrow's sort_indices with a fix where its NaN placement differs
// from DuckDB's.
#include "sabot/ops/sort_spec.h"

#include <array>
#include <cstring>
#include <limits>
#include <numeric>
#include <type_traits>

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/exec.h>
#include <arrow/util/bit_util.h>

#include "sabot/common/type_names.h"
#include "sabot/expr/bind.h"

namespace sabot {

namespace cp = arrow::compute;

bool IsSortableType(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::BOOL:
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64:
    case arrow::Type::UINT8:
    case arrow::Type::UINT16:
    case arrow::Type::UINT32:
    case arrow::Type::UINT64:
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE:
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
    case arrow::Type::BINARY:
    case arrow::Type::LARGE_BINARY:
    case arrow::Type::FIXED_SIZE_BINARY:
    case arrow::Type::DATE32:
    case arrow::Type::DATE64:
    case arrow::Type::TIMESTAMP:
    case arrow::Type::TIME32:
    case arrow::Type::TIME64:
    case arrow::Type::DURATION:
    case arrow::Type::DECIMAL128:
    case arrow::Type::DECIMAL256:
      return true;
    default:
      return false;
  }
}

Result<SortSpec> SortSpec::Make(const std::shared_ptr<arrow::Schema>& schema, const std::vector<SortKey>& keys,
                                std::string_view what) {
  if (keys.empty()) return Status::Invalid(what, " needs at least one sort key");
  std::vector<int> indices;
  indices.reserve(keys.size());
  for (const auto& key : keys) {
    const int index = schema->GetFieldIndex(key.column);
    if (index < 0) {
      if (schema->GetFieldByName(key.column) == nullptr) {
        return Status::KeyError("cannot sort by column '", key.column, "': it does not exist; the columns are: ",
                                JoinNames(schema->field_names()));
      }
      return Status::Invalid("cannot sort by column '", key.column, "': the name is ambiguous");
    }
    const auto& type = *schema->field(index)->type();
    if (!IsSortableType(type)) {
      return Status::TypeError("cannot sort by column '", key.column, "' of type ", FormatDataType(type));
    }
    indices.push_back(index);
  }
  return SortSpec(schema, keys, std::move(indices));
}

namespace {

bool IsFloating(const arrow::DataType& type) {
  return type.id() == arrow::Type::FLOAT || type.id() == arrow::Type::DOUBLE;
}

// Arrow puts NaN next to the nulls: [values, NaN, nulls] with AtEnd and [nulls, NaN, values]
// with AtStart, whatever the direction. DuckDB treats NaN as the greatest value, so the two
// agree only for ASC NULLS LAST and DESC NULLS FIRST. Otherwise an is_nan key (null where the
// value is null) goes first, sorted the same way: it separates NaN from the other values while
// the null placement still applies, and the value key then only orders ordinary values.
bool NanPlacementDiffers(const SortKey& key) { return key.ascending == key.nulls_first; }

// Sorts by `columns` (the key columns, in key order) with Arrow's sort_indices.
Result<std::shared_ptr<arrow::Array>> ArrowSortIndices(const std::vector<SortKey>& keys,
                                                     std::vector<arrow::Datum> columns, int64_t length) {
  ARROW_RETURN_NOT_OK(EnsureComputeInitialized());
  std::vector<arrow::Datum> sort_columns;
  std::vector<cp::SortKey> sort_keys;
  auto add = [&](arrow::Datum column, const SortKey& key) {
    sort_keys.emplace_back(arrow::FieldRef(static_cast<int>(sort_columns.size())),
                           key.ascending ? cp::SortOrder::Ascending : cp::SortOrder::Descending,
                           key.nulls_first ? cp::NullPlacement::AtStart : cp::NullPlacement::AtEnd);
    sort_columns.push_back(std::move(column));
  };
  for (size_t i = 0; i < keys.size(); ++i) {
    if (IsFloating(*columns[i].type()) && NanPlacementDiffers(keys[i])) {
      ARROW_ASSIGN_OR_RAISE(auto is_nan, cp::CallFunction("is_nan", {columns[i]}));
      if (arrow::BooleanArray(is_nan.array()).true_count() > 0) add(std::move(is_nan), keys[i]);
    }
    add(std::move(columns[i]), keys[i]);
  }
  arrow::FieldVector fields;
  for (size_t i = 0; i < sort_columns.size(); ++i) {
    fields.push_back(arrow::field("k" + std::to_string(i), sort_columns[i].type()));
  }
  auto schema = arrow::schema(std::move(fields));
  cp::SortOptions options(std::move(sort_keys));
  arrow::ArrayVector arrays;
  for (auto& c : sort_columns) arrays.push_back(c.make_array());
  auto batch = arrow::RecordBatch::Make(schema, length, std::move(arrays));
  return cp::SortIndices(arrow::Datum(batch), options);
}

// ---- Radix sort over normalized keys ------------------------------------------------
// When every key is a fixed-width value of at most 8 bytes, each key maps to a uint64
// whose unsigned order is the key's order (sign bit flipped for integers, IEEE bits
// flipped for floats with NaN the greatest, all bits inverted for DESC). An LSD radix
// sort then orders the rows key by key, last key first; each pass is stable, so equal
// keys keep input order and a key's NULLs are a final stable partition of its own.
// Bytes that are equal in every row (small value ranges) cost no pass.

bool IsRadixSortable(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::BOOL:
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64:
    case arrow::Type::UINT8:
    case arrow::Type::UINT16:
    case arrow::Type::UINT32:
    case arrow::Type::UINT64:
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE:
    case arrow::Type::DATE32:
    case arrow::Type::DATE64:
    case arrow::Type::TIMESTAMP:
    case arrow::Type::TIME32:
    case arrow::Type::TIME64:
    case arrow::Type::DURATION:
      return true;
    default:
      return false;
  }
}

template <typename T>
uint64_t NormalizedKey(T v) {
  if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float>) {
    if (v != v) return ~uint64_t{0};  // NaN: greater than every value, +inf included
    const double d = v == 0 ? 0.0 : static_cast<double>(v);  // -0.0 equals 0.0
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof(bits));
    return (bits >> 63) ? ~bits : bits | (uint64_t{1} << 63);
  } else if constexpr (std::is_signed_v<T>) {
    return static_cast<uint64_t>(static_cast<int64_t>(v)) ^ (uint64_t{1} << 63);
  } else {
    return static_cast<uint64_t>(v);
  }
}

// keys[i] = normalized key of column row rows[i]; NULL rows get 0 (partitioned later).
template <typename T>
void GatherNormalized(const arrow::ArrayData& column, const uint32_t* rows, int64_t n, bool descending,
                      uint64_t* keys) {
  const uint64_t flip = descending ? ~uint64_t{0} : 0;
  if constexpr (std::is_same_v<T, bool>) {
    const uint8_t* bits = column.buffers[1]->data();
    for (int64_t i = 0; i < n; ++i) {
      keys[i] = static_cast<uint64_t>(arrow::bit_util::GetBit(bits, column.offset + rows[i])) ^ flip;
    }
  } else {
    const T* values = column.GetValues<T>(1);
    for (int64_t i = 0; i < n; ++i) keys[i] = NormalizedKey(values[rows[i]]) ^ flip;
  }
  // The value slot under a null is undefined; give every null the same key so that the
  // later sort keys (and input order) decide among them.
  if (column.MayHaveNulls()) {
    const uint8_t* validity = column.buffers[0]->data();
    for (int64_t i = 0; i < n; ++i) {
      if (!arrow::bit_util::GetBit(validity, column.offset + rows[i])) keys[i] = 0;
    }
  }
}

void GatherKeys(const arrow::ArrayData& column, const uint32_t* rows, int64_t n, bool descending, uint64_t* keys) {
  switch (column.type->id()) {
    case arrow::Type::BOOL: return GatherNormalized<bool>(column, rows, n, descending, keys);
    case arrow::Type::INT8: return GatherNormalized<int8_t>(column, rows, n, descending, keys);
    case arrow::Type::INT16: return GatherNormalized<int16_t>(column, rows, n, descending, keys);
    case arrow::Type::INT32:
    case arrow::Type::DATE32:
    case arrow::Type::TIME32: return GatherNormalized<int32_t>(column, rows, n, descending, keys);
    case arrow::Type::UINT8: return GatherNormalized<uint8_t>(column, rows, n, descending, keys);
    case arrow::Type::UINT16: return GatherNormalized<uint16_t>(column, rows, n, descending, keys);
    case arrow::Type::UINT32: return GatherNormalized<uint32_t>(column, rows, n, descending, keys);
    case arrow::Type::UINT64: return GatherNormalized<uint64_t>(column, rows, n, descending, keys);
    case arrow::Type::FLOAT: return GatherNormalized<float>(column, rows, n, descending, keys);
    case arrow::Type::DOUBLE: return GatherNormalized<double>(column, rows, n, descending, keys);
    default: return GatherNormalized<int64_t>(column, rows, n, descending, keys);  // int64 and 64-bit temporal
  }
}

// Sorts `rows` stably by the normalized `keys` (parallel arrays), byte by byte.
void RadixSortByKeys(int64_t n, std::vector<uint64_t>& keys, std::vector<uint32_t>& rows,
                     std::vector<uint64_t>& keys_tmp, std::vector<uint32_t>& rows_tmp) {
  std::vector<std::array<int64_t, 256>> histograms(8);
  for (auto& h : histograms) h.fill(0);
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t k = keys[i];
    for (int b = 0; b < 8; ++b) ++histograms[b][(k >> (8 * b)) & 0xFF];
  }
  for (int b = 0; b < 8; ++b) {
    auto& counts = histograms[b];
    const int shift = 8 * b;
    if (counts[(keys[0] >> shift) & 0xFF] == n) continue;  // one digit everywhere: order unchanged
    std::array<int64_t, 256> offsets;
    int64_t sum = 0;
    for (int d = 0; d < 256; ++d) {
      offsets[d] = sum;
      sum += counts[d];
    }
    for (int64_t i = 0; i < n; ++i) {
      const uint64_t k = keys[i];
      const int64_t to = offsets[(k >> shift) & 0xFF]++;
      keys_tmp[to] = k;
      rows_tmp[to] = rows[i];
    }
    keys.swap(keys_tmp);
    rows.swap(rows_tmp);
  }
}

// Moves the NULL rows of `column` to the front or back of `rows`, keeping both sides' order.
void PartitionNulls(const arrow::ArrayData& column, bool nulls_first, std::vector<uint32_t>& rows,
                    std::vector<uint32_t>& rows_tmp) {
  const uint8_t* validity = column.buffers[0]->data();
  const int64_t n = static_cast<int64_t>(rows.size());
  const int64_t nulls = column.GetNullCount();
  int64_t null_at = nulls_first ? 0 : n - nulls;
  int64_t value_at = nulls_first ? nulls : 0;
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t row = rows[i];
    if (arrow::bit_util::GetBit(validity, column.offset + row)) {
      rows_tmp[value_at++] = row;
    } else {
      rows_tmp[null_at++] = row;
    }
  }
  rows.swap(rows_tmp);
}

Result<std::shared_ptr<arrow::Array>> RadixSortIndices(const std::vector<SortKey>& keys,
                                                       const std::vector<std::shared_ptr<arrow::Array>>& columns,
                                                       int64_t n) {
  std::vector<uint32_t> rows(n), rows_tmp(n);
  std::iota(rows.begin(), rows.end(), uint32_t{0});
  std::vector<uint64_t> key_values(n), keys_tmp(n);
  for (size_t k = keys.size(); k-- > 0;) {
    const arrow::ArrayData& column = *columns[k]->data();
    if (column.GetNullCount() == n) continue;  // all NULL: no order among these rows
    GatherKeys(column, rows.data(), n, !keys[k].ascending, key_values.data());
    RadixSortByKeys(n, key_values, rows, keys_tmp, rows_tmp);
    if (column.GetNullCount() > 0) PartitionNulls(column, keys[k].nulls_first, rows, rows_tmp);
  }
  auto buffer = arrow::Buffer::FromVector(std::move(rows));
  return arrow::MakeArray(arrow::ArrayData::Make(arrow::uint32(), n, {nullptr, std::move(buffer)}, 0));
}

}  // namespace

Result<std::shared_ptr<arrow::Array>> SortSpec::SortIndices(const arrow::RecordBatch& batch,
                                                           bool allow_radix) const {
  bool radix = allow_radix && batch.num_rows() > 0 &&
               batch.num_rows() <= static_cast<int64_t>(std::numeric_limits<uint32_t>::max());
  for (int index : key_indices_) radix = radix && IsRadixSortable(*batch.column(index)->type());
  if (radix) {
    std::vector<std::shared_ptr<arrow::Array>> key_columns;
    for (int index : key_indices_) key_columns.push_back(batch.column(index));
    return RadixSortIndices(keys_, key_columns, batch.num_rows());
  }
  std::vector<arrow::Datum> columns;
  for (int index : key_indices_) columns.emplace_back(batch.column(index));
  return ArrowSortIndices(keys_, std::move(columns), batch.num_rows());
}

}  // namespace sabot
