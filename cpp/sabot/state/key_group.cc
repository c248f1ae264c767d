// Canonical key encoding and the stable key hash, column by column.
#include "sabot/state/key_group.h"

#include <cmath>
#include <cstring>
#include <limits>

#include <arrow/api.h>
#include <arrow/compute/cast.h>
#include <arrow/type_traits.h>

#include "sabot/common/mix64.h"
#include "sabot/common/type_names.h"

namespace sabot {

namespace {

enum Tag : char { kNull = 0, kInt = 1, kFloat = 2, kBytes = 3, kBool = 4, kDecimal = 5 };

// Where a column's encoded bytes go, row by row: appended to each row's key string
// (EncodeKeys), or folded into each row's running hash (HashKeys). Both see the same
// bytes in the same order, which is what makes the two paths agree.
struct KeyStrings {
  std::vector<std::string>* keys;
  void Byte(int64_t row, char byte) { (*keys)[static_cast<size_t>(row)].push_back(byte); }
  void Bytes(int64_t row, const void* data, size_t size) {
    (*keys)[static_cast<size_t>(row)].append(static_cast<const char*>(data), size);
  }
};

constexpr uint64_t kFnvSeed = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

struct KeyHashes {
  uint64_t* hashes;
  void Byte(int64_t row, char byte) {
    hashes[row] = (hashes[row] ^ static_cast<unsigned char>(byte)) * kFnvPrime;
  }
  void Bytes(int64_t row, const void* data, size_t size) {
    uint64_t h = hashes[row];
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < size; ++i) h = (h ^ bytes[i]) * kFnvPrime;
    hashes[row] = h;
  }
};

// Calls append(i) for each non-null row i; a null row gets the null tag.
template <typename Out, typename Append>
void EachRow(const arrow::Array& column, Out& out, Append&& append) {
  const bool nulls = column.null_count() > 0;
  for (int64_t i = 0; i < column.length(); ++i) {
    if (nulls && column.IsNull(i)) {
      out.Byte(i, kNull);
    } else {
      append(i);
    }
  }
}

std::shared_ptr<arrow::DataType> PhysicalIntegerType(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::DATE32:
    case arrow::Type::TIME32:
      return arrow::int32();
    case arrow::Type::DATE64:
    case arrow::Type::TIME64:
    case arrow::Type::TIMESTAMP:
    case arrow::Type::DURATION:
      return arrow::int64();
    default:
      return arrow::is_integer(type.id()) ? type.GetSharedPtr() : nullptr;
  }
}

// Adds one column's encoded values to every row's key in `out`.
template <typename Out>
Status AppendColumn(const std::shared_ptr<arrow::Array>& column, const std::string& name, Out& out) {
  const auto& type = *column->type();
  if (type.id() == arrow::Type::DICTIONARY) {
    // A dictionary-encoded key is its value: the same key group as the plain column, so
    // the encoding of a file or a batch never moves a key's state.
    const auto& value_type = static_cast<const arrow::DictionaryType&>(type).value_type();
    ARROW_ASSIGN_OR_RAISE(auto decoded, arrow::compute::Cast(*column, value_type));
    return AppendColumn(decoded, name, out);
  }
  if (arrow::is_decimal(type.id())) {
    // The unscaled value as 256 bits (any decimal width widens exactly), then the scale:
    // 1.50 at scale 2 and 1.500 at scale 3 are different keys, as their types differ.
    const int32_t scale = static_cast<const arrow::DecimalType&>(type).scale();
    ARROW_ASSIGN_OR_RAISE(auto wide, arrow::compute::Cast(*column, arrow::decimal256(76, scale)));
    const auto& decimals = static_cast<const arrow::Decimal256Array&>(*wide);
    EachRow(decimals, out, [&](int64_t i) {
      out.Byte(i, kDecimal);
      out.Bytes(i, decimals.GetValue(i), 32);
      out.Bytes(i, &scale, sizeof scale);
    });
    return Status::OK();
  }
  if (auto physical = PhysicalIntegerType(type)) {
    ARROW_ASSIGN_OR_RAISE(auto viewed, column->View(physical));
    ARROW_ASSIGN_OR_RAISE(auto wide, arrow::compute::Cast(*viewed, arrow::int64(),
                                                          arrow::compute::CastOptions::Unsafe()));
    const auto& ints = static_cast<const arrow::Int64Array&>(*wide);
    const int64_t* values = ints.raw_values();
    EachRow(ints, out, [&](int64_t i) {
      out.Byte(i, kInt);
      out.Bytes(i, &values[i], sizeof(int64_t));
    });
    return Status::OK();
  }
  if (arrow::is_floating(type.id())) {
    ARROW_ASSIGN_OR_RAISE(auto wide, arrow::compute::Cast(*column, arrow::float64()));
    const auto& doubles = static_cast<const arrow::DoubleArray&>(*wide);
    EachRow(doubles, out, [&](int64_t i) {
      double v = doubles.Value(i);
      if (v == 0.0) v = 0.0;  // -0.0 is 0.0
      if (std::isnan(v)) v = std::numeric_limits<double>::quiet_NaN();
      out.Byte(i, kFloat);
      out.Bytes(i, &v, sizeof v);
    });
    return Status::OK();
  }
  if (type.id() == arrow::Type::BOOL) {
    const auto& bools = static_cast<const arrow::BooleanArray&>(*column);
    EachRow(bools, out, [&](int64_t i) {
      out.Byte(i, kBool);
      out.Byte(i, bools.Value(i) ? 1 : 0);
    });
    return Status::OK();
  }
  auto append_bytes = [&](const auto& bytes) {
    EachRow(bytes, out, [&](int64_t i) {
      const std::string_view v = bytes.GetView(i);
      const uint64_t size = v.size();
      out.Byte(i, kBytes);
      out.Bytes(i, &size, sizeof size);
      out.Bytes(i, v.data(), v.size());
    });
  };
  switch (type.id()) {
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
      append_bytes(static_cast<const arrow::BinaryArray&>(*column));
      return Status::OK();
    case arrow::Type::LARGE_STRING:
    case arrow::Type::LARGE_BINARY:
      append_bytes(static_cast<const arrow::LargeBinaryArray&>(*column));
      return Status::OK();
    case arrow::Type::STRING_VIEW:
    case arrow::Type::BINARY_VIEW:
      append_bytes(static_cast<const arrow::BinaryViewArray&>(*column));
      return Status::OK();
    default:
      return Status::TypeError("key column '", name, "' is ", FormatDataType(type),
                               "; keyed state takes integer, floating point, decimal, boolean, string, binary, "
                               "date and time keys, and dictionaries of them");
  }
}

}  // namespace

bool IsStableKeyType(const arrow::DataType& type) {
  if (PhysicalIntegerType(type) != nullptr || arrow::is_floating(type.id()) || arrow::is_decimal(type.id())) return true;
  if (type.id() == arrow::Type::DICTIONARY) {
    return IsStableKeyType(*static_cast<const arrow::DictionaryType&>(type).value_type());
  }
  switch (type.id()) {
    case arrow::Type::BOOL:
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
    case arrow::Type::LARGE_STRING:
    case arrow::Type::LARGE_BINARY:
    case arrow::Type::STRING_VIEW:
    case arrow::Type::BINARY_VIEW:
      return true;
    default:
      return false;
  }
}

Status EncodeKeys(const arrow::RecordBatch& batch, const std::vector<int>& key_columns,
                  std::vector<std::string>* keys) {
  keys->assign(static_cast<size_t>(batch.num_rows()), std::string());
  KeyStrings out{keys};
  for (int c : key_columns) {
    ARROW_RETURN_NOT_OK(AppendColumn(batch.column(c), batch.schema()->field(c)->name(), out));
  }
  return Status::OK();
}

uint64_t StableKeyHash(const std::string& encoded_key) {
  // FNV-1a over the bytes from a fixed seed: the same everywhere, by definition.
  KeyHashes fold{nullptr};
  uint64_t h = kFnvSeed;
  fold.hashes = &h;
  fold.Bytes(0, encoded_key.data(), encoded_key.size());
  // FNV's low bits mix poorly; the finalizer spreads them before the modulo.
  return Mix64(h);
}

Status HashKeys(const arrow::RecordBatch& batch, const std::vector<int>& key_columns, std::vector<uint64_t>* hashes) {
  hashes->assign(static_cast<size_t>(batch.num_rows()), kFnvSeed);
  KeyHashes out{hashes->data()};
  for (int c : key_columns) {
    ARROW_RETURN_NOT_OK(AppendColumn(batch.column(c), batch.schema()->field(c)->name(), out));
  }
  for (uint64_t& h : *hashes) h = Mix64(h);
  return Status::OK();
}

Status KeyGroupsOf(const arrow::RecordBatch& batch, const std::vector<int>& key_columns, int num_key_groups,
                   std::vector<uint16_t>* groups) {
  SABOT_CHECK(num_key_groups >= 1 && num_key_groups <= 65536);
  std::vector<uint64_t> hashes;
  ARROW_RETURN_NOT_OK(HashKeys(batch, key_columns, &hashes));
  groups->resize(hashes.size());
  const auto n = static_cast<uint64_t>(num_key_groups);
  for (size_t i = 0; i < hashes.size(); ++i) (*groups)[i] = static_cast<uint16_t>(hashes[i] % n);
  return Status::OK();
}

}  // namespace sabot
