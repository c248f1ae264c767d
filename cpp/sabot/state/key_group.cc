// Canonical key encoding and the stable key hash, column by column.
#include "sabot/state/key_group.h"

#include <cmath>
#include <cstring>
#include <limits>

#include <arrow/api.h>
#include <arrow/compute/cast.h>

#include "sabot/common/mix64.h"
#include "sabot/common/type_names.h"

namespace sabot {

namespace {

enum Tag : char { kNull = 0, kInt = 1, kFloat = 2, kBytes = 3, kBool = 4 };

// Calls append(i, &key) for each non-null row i; a null row gets the null tag.
template <typename Append>
void EachRow(const arrow::Array& column, std::vector<std::string>* keys, Append&& append) {
  for (int64_t i = 0; i < column.length(); ++i) {
    std::string& key = (*keys)[static_cast<size_t>(i)];
    if (column.IsNull(i)) {
      key.push_back(kNull);
    } else {
      append(i, &key);
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

// Appends one column's values to every row's key.
Status AppendColumn(const std::shared_ptr<arrow::Array>& column, const std::string& name,
                    std::vector<std::string>* keys) {
  const auto& type = *column->type();
  if (auto physical = PhysicalIntegerType(type)) {
    ARROW_ASSIGN_OR_RAISE(auto viewed, column->View(physical));
    ARROW_ASSIGN_OR_RAISE(auto wide, arrow::compute::Cast(*viewed, arrow::int64(),
                                                          arrow::compute::CastOptions::Unsafe()));
    const auto& ints = static_cast<const arrow::Int64Array&>(*wide);
    EachRow(ints, keys, [&](int64_t i, std::string* key) {
      const int64_t v = ints.Value(i);
      key->push_back(kInt);
      key->append(reinterpret_cast<const char*>(&v), sizeof v);
    });
    return Status::OK();
  }
  if (arrow::is_floating(type.id())) {
    ARROW_ASSIGN_OR_RAISE(auto wide, arrow::compute::Cast(*column, arrow::float64()));
    const auto& doubles = static_cast<const arrow::DoubleArray&>(*wide);
    EachRow(doubles, keys, [&](int64_t i, std::string* key) {
      double v = doubles.Value(i);
      if (v == 0.0) v = 0.0;  // -0.0 is 0.0
      if (std::isnan(v)) v = std::numeric_limits<double>::quiet_NaN();
      key->push_back(kFloat);
      key->append(reinterpret_cast<const char*>(&v), sizeof v);
    });
    return Status::OK();
  }
  if (type.id() == arrow::Type::BOOL) {
    const auto& bools = static_cast<const arrow::BooleanArray&>(*column);
    EachRow(bools, keys, [&](int64_t i, std::string* key) {
      key->push_back(kBool);
      key->push_back(bools.Value(i) ? 1 : 0);
    });
    return Status::OK();
  }
  auto append_bytes = [&](const auto& bytes) {
    EachRow(bytes, keys, [&](int64_t i, std::string* key) {
      const std::string_view v = bytes.GetView(i);
      const uint64_t size = v.size();
      key->push_back(kBytes);
      key->append(reinterpret_cast<const char*>(&size), sizeof size);
      key->append(v.data(), v.size());
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
                               "; keyed state takes integer, floating point, boolean, string, binary, date and "
                               "time keys");
  }
}

}  // namespace

Status EncodeKeys(const arrow::RecordBatch& batch, const std::vector<int>& key_columns,
                  std::vector<std::string>* keys) {
  keys->assign(static_cast<size_t>(batch.num_rows()), std::string());
  for (int c : key_columns) {
    ARROW_RETURN_NOT_OK(AppendColumn(batch.column(c), batch.schema()->field(c)->name(), keys));
  }
  return Status::OK();
}

uint64_t StableKeyHash(const std::string& encoded_key) {
  // FNV-1a over the bytes from a fixed seed: the same everywhere, by definition.
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char byte : encoded_key) {
    h ^= byte;
    h *= 0x100000001b3ULL;
  }
  // FNV's low bits mix poorly; the finalizer spreads them before the modulo.
  return Mix64(h);
}

}  // namespace sabot
