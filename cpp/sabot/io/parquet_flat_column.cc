// FlatColumnReader: a fast path for flat, fixed-width Parquet columns without nulls.
#include "sabot/io/parquet_flat_column.h"

#include <exception>

#include <arrow/buffer.h>
#include <parquet/column_reader.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>
#include <parquet/schema.h>
#include <parquet/statistics.h>
#include <parquet/types.h>

namespace sabot {
namespace {

template <typename ParquetType>
class TypedFlatColumnReader final : public FlatColumnReader {
 public:
  using FlatColumnReader::FlatColumnReader;

 private:
  int64_t ReadValues(int64_t rows, uint8_t* out) override {
    using Value = typename ParquetType::c_type;
    auto& typed = static_cast<parquet::TypedColumnReader<ParquetType>&>(*column_);
    int64_t values = 0;
    // No level buffers: the chunk has no nulls (checked in MakeIfEligible) and is flat,
    // so every level is the maximum and decoding them would only be thrown away.
    typed.ReadBatch(rows, /*def_levels=*/nullptr, /*rep_levels=*/nullptr,
                    reinterpret_cast<Value*>(out), &values);
    return values;
  }
};

std::optional<parquet::LogicalType::TimeUnit::unit> TimeUnitOf(const arrow::DataType& type) {
  switch (static_cast<const arrow::TimestampType&>(type).unit()) {
    case arrow::TimeUnit::MILLI:
      return parquet::LogicalType::TimeUnit::MILLIS;
    case arrow::TimeUnit::MICRO:
      return parquet::LogicalType::TimeUnit::MICROS;
    case arrow::TimeUnit::NANO:
      return parquet::LogicalType::TimeUnit::NANOS;
    default:
      return std::nullopt;  // seconds are stored as milliseconds and need a conversion
  }
}

bool IsSignedInt(const parquet::LogicalType& logical, int bits) {
  if (logical.is_none()) return true;
  if (!logical.is_int()) return false;
  const auto& as_int = static_cast<const parquet::IntLogicalType&>(logical);
  return as_int.is_signed() && as_int.bit_width() == bits;
}

// Whether values of `type` have exactly the bytes the column stores, so no conversion is
// needed between the decoded values and the Arrow buffer.
bool StoredAsIs(const parquet::ColumnDescriptor& column, const arrow::DataType& type) {
  const parquet::LogicalType& logical = *column.logical_type();
  switch (column.physical_type()) {
    case parquet::Type::INT32:
      if (type.id() == arrow::Type::INT32) return IsSignedInt(logical, 32);
      return type.id() == arrow::Type::DATE32 && logical.is_date();
    case parquet::Type::INT64:
      if (type.id() == arrow::Type::INT64) return IsSignedInt(logical, 64);
      if (type.id() != arrow::Type::TIMESTAMP || !logical.is_timestamp()) return false;
      return TimeUnitOf(type) ==
             static_cast<const parquet::TimestampLogicalType&>(logical).time_unit();
    case parquet::Type::FLOAT:
      return type.id() == arrow::Type::FLOAT;
    case parquet::Type::DOUBLE:
      return type.id() == arrow::Type::DOUBLE;
    default:
      return false;
  }
}

bool HasNoNulls(const parquet::ColumnDescriptor& column, const parquet::ColumnChunkMetaData& chunk) {
  if (column.max_definition_level() == 0) return true;
  auto stats = chunk.statistics();
  return stats != nullptr && stats->HasNullCount() && stats->null_count() == 0;
}

}  // namespace

std::unique_ptr<FlatColumnReader> FlatColumnReader::MakeIfEligible(
    parquet::RowGroupReader& row_group, int leaf, const std::shared_ptr<arrow::DataType>& type) {
  try {
    const parquet::ColumnDescriptor& column = *row_group.metadata()->schema()->Column(leaf);
    if (column.max_repetition_level() != 0 || column.path()->ToDotVector().size() != 1) return nullptr;
    if (!StoredAsIs(column, *type)) return nullptr;
    if (!HasNoNulls(column, *row_group.metadata()->ColumnChunk(leaf))) return nullptr;
    auto reader = row_group.Column(leaf);
    switch (column.physical_type()) {
      case parquet::Type::INT32:
        return std::unique_ptr<FlatColumnReader>(new TypedFlatColumnReader<parquet::Int32Type>(reader, type));
      case parquet::Type::INT64:
        return std::unique_ptr<FlatColumnReader>(new TypedFlatColumnReader<parquet::Int64Type>(reader, type));
      case parquet::Type::FLOAT:
        return std::unique_ptr<FlatColumnReader>(new TypedFlatColumnReader<parquet::FloatType>(reader, type));
      case parquet::Type::DOUBLE:
        return std::unique_ptr<FlatColumnReader>(new TypedFlatColumnReader<parquet::DoubleType>(reader, type));
      default:
        return nullptr;
    }
  } catch (const std::exception&) {
    return nullptr;  // Arrow's reader meets the same problem and reports it
  }
}

arrow::Result<std::shared_ptr<arrow::Array>> FlatColumnReader::Read(int64_t rows) {
  const int width = type_->byte_width();
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> values, arrow::AllocateBuffer(rows * width));
  int64_t done = 0;
  try {
    while (done < rows) {
      // One call decodes at most the rest of the current page.
      const int64_t got = ReadValues(rows - done, values->mutable_data() + done * width);
      if (got == 0) break;
      done += got;
    }
  } catch (const std::exception& e) {
    return arrow::Status::IOError(e.what());
  }
  if (done != rows) {
    return arrow::Status::IOError("column ", column_->descr()->name(), " holds ", rows - done,
                                  " values fewer than its row group's row count");
  }
  return arrow::MakeArray(arrow::ArrayData::Make(type_, rows, {nullptr, std::move(values)}, /*null_count=*/0));
}

}  // namespace sabot
