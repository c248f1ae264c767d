// RowGroupPruning: a filter's predicate decided per row group from column statistics.
#include "sabot/io/parquet_row_group_pruning.h"

#include <algorithm>
#include <exception>
#include <optional>
#include <string>

#include <arrow/buffer.h>
#include <arrow/scalar.h>
#include <arrow/type.h>
#include <parquet/metadata.h>
#include <parquet/schema.h>
#include <parquet/statistics.h>
#include <parquet/types.h>

#include "sabot/expr/bind.h"

namespace sabot {

namespace cp = arrow::compute;

namespace {

// Whether a column of `type` can be bounded by statistics (see RowGroupPruning).
bool Boundable(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64:
    case arrow::Type::DATE32:
    case arrow::Type::TIMESTAMP:
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
    case arrow::Type::BINARY:
    case arrow::Type::LARGE_BINARY:
      return true;
    default:
      return false;
  }
}

// Whether the file stores a column of Arrow type `type` so that its statistics order
// values as `type` does: signed integers, dates and timestamps of the same unit as
// numbers, strings and binary as bytes.
bool StoredAsRead(const parquet::ColumnDescriptor& column, const arrow::DataType& type) {
  const auto& logical = column.logical_type();
  const bool plain = logical == nullptr || logical->is_none();
  auto signed_int = [&](int max_bits) {
    if (plain) return true;
    if (!logical->is_int()) return false;
    const auto& i = static_cast<const parquet::IntLogicalType&>(*logical);
    return i.is_signed() && i.bit_width() <= max_bits;
  };
  switch (column.physical_type()) {
    case parquet::Type::INT32:
      if (type.id() == arrow::Type::DATE32) return logical != nullptr && logical->is_date();
      return (type.id() == arrow::Type::INT8 || type.id() == arrow::Type::INT16 || type.id() == arrow::Type::INT32) &&
             signed_int(32);
    case parquet::Type::INT64: {
      if (type.id() == arrow::Type::INT64) return signed_int(64);
      if (type.id() != arrow::Type::TIMESTAMP || logical == nullptr || !logical->is_timestamp()) return false;
      const auto unit = static_cast<const parquet::TimestampLogicalType&>(*logical).time_unit();
      const auto want = static_cast<const arrow::TimestampType&>(type).unit();
      return (unit == parquet::LogicalType::TimeUnit::MILLIS && want == arrow::TimeUnit::MILLI) ||
             (unit == parquet::LogicalType::TimeUnit::MICROS && want == arrow::TimeUnit::MICRO) ||
             (unit == parquet::LogicalType::TimeUnit::NANOS && want == arrow::TimeUnit::NANO);
    }
    case parquet::Type::BYTE_ARRAY:
      if (type.id() == arrow::Type::STRING || type.id() == arrow::Type::LARGE_STRING) {
        return logical != nullptr && logical->is_string();
      }
      return (type.id() == arrow::Type::BINARY || type.id() == arrow::Type::LARGE_BINARY) && plain;
    default:
      return false;
  }
}

template <typename Stats>
auto Min(const parquet::Statistics& stats) {
  return static_cast<const Stats&>(stats).min();
}
template <typename Stats>
auto Max(const parquet::Statistics& stats) {
  return static_cast<const Stats&>(stats).max();
}

std::shared_ptr<arrow::Scalar> BytesScalar(const std::shared_ptr<arrow::DataType>& type, const parquet::ByteArray& v) {
  auto made = arrow::MakeScalar(type, arrow::Buffer::FromString(std::string(reinterpret_cast<const char*>(v.ptr), v.len)));
  return made.ok() ? *made : nullptr;
}

template <typename T>
std::shared_ptr<arrow::Scalar> NumberScalar(const std::shared_ptr<arrow::DataType>& type, T v) {
  auto made = arrow::MakeScalar(type, v);
  return made.ok() ? *made : nullptr;
}

// What `row_group`'s statistics guarantee of every row's value of `field` (at `leaf`):
// within [min, max], and valid when it holds no null; or null when it holds only nulls.
std::optional<cp::Expression> Guarantee(const arrow::Field& field, int leaf, const parquet::RowGroupMetaData& row_group) {
  auto chunk = row_group.ColumnChunk(leaf);
  if (!chunk->is_stats_set()) return std::nullopt;
  const std::shared_ptr<parquet::Statistics> stats = chunk->statistics();
  if (stats == nullptr || !StoredAsRead(*stats->descr(), *field.type())) return std::nullopt;
  const cp::Expression ref = cp::field_ref(field.name());
  const bool nulls_known = stats->HasNullCount();
  if (nulls_known && stats->null_count() == row_group.num_rows()) return cp::is_null(ref);
  if (!stats->HasMinMax()) return std::nullopt;
  const auto& type = field.type();
  std::shared_ptr<arrow::Scalar> min, max;
  switch (stats->physical_type()) {
    case parquet::Type::INT32:
      min = NumberScalar(type, Min<parquet::Int32Statistics>(*stats));
      max = NumberScalar(type, Max<parquet::Int32Statistics>(*stats));
      break;
    case parquet::Type::INT64:
      min = NumberScalar(type, Min<parquet::Int64Statistics>(*stats));
      max = NumberScalar(type, Max<parquet::Int64Statistics>(*stats));
      break;
    case parquet::Type::BYTE_ARRAY:
      min = BytesScalar(type, Min<parquet::ByteArrayStatistics>(*stats));
      max = BytesScalar(type, Max<parquet::ByteArrayStatistics>(*stats));
      break;
    default:
      return std::nullopt;
  }
  if (min == nullptr || max == nullptr) return std::nullopt;
  std::vector<cp::Expression> terms = {cp::greater_equal(ref, cp::literal(std::move(min))),
                                       cp::less_equal(ref, cp::literal(std::move(max)))};
  if (nulls_known && stats->null_count() == 0) terms.push_back(cp::is_valid(ref));
  return cp::and_(std::move(terms));
}

}  // namespace

std::unique_ptr<RowGroupPruning> RowGroupPruning::Make(const Expr& predicate, const std::shared_ptr<arrow::Schema>& schema,
                                                       const std::vector<int>& leaves) {
  std::vector<Column> columns;
  for (const auto& name : predicate.ColumnRefs()) {
    const int i = schema->GetFieldIndex(name);
    if (i < 0 || static_cast<size_t>(i) >= leaves.size() || leaves[static_cast<size_t>(i)] < 0) continue;
    const auto& field = schema->field(i);
    if (!Boundable(*field->type())) continue;
    const bool seen = std::any_of(columns.begin(), columns.end(), [&](const Column& c) { return c.field == field; });
    if (!seen) columns.push_back({field, leaves[static_cast<size_t>(i)]});
  }
  if (columns.empty()) return nullptr;
  auto bound = Bind(predicate, schema);
  if (!bound.ok()) return nullptr;
  return std::unique_ptr<RowGroupPruning>(new RowGroupPruning(bound->arrow_expr(), std::move(columns)));
}

bool RowGroupPruning::NoRowPasses(const parquet::RowGroupMetaData& row_group) const {
  std::vector<cp::Expression> guarantees;
  try {
    for (const auto& column : columns_) {
      if (auto guarantee = Guarantee(*column.field, column.leaf, row_group)) guarantees.push_back(std::move(*guarantee));
    }
  } catch (const std::exception&) {
    return false;  // metadata it cannot read: reading the row group reports it
  }
  if (guarantees.empty()) return false;
  auto simplified = cp::SimplifyWithGuarantee(predicate_, cp::and_(std::move(guarantees)));
  if (!simplified.ok()) return false;
  const arrow::Datum* value = simplified->literal();
  if (value == nullptr || !value->is_scalar()) return false;
  const arrow::Scalar& result = *value->scalar();
  if (!result.is_valid) return true;  // null for every row: a filter keeps none
  return result.type->id() == arrow::Type::BOOL && !static_cast<const arrow::BooleanScalar&>(result).value;
}

}  // namespace sabot
