// FlatColumnReader: a fast path for flat, fixed-width Parquet columns without nulls.
#pragma once

#include <cstdint>
#include <memory>

#include <arrow/array.h>
#include <arrow/result.h>
#include <arrow/type.h>

namespace parquet {
class ColumnChunkMetaData;
class ColumnReader;
class RowGroupReader;
}  // namespace parquet

namespace sabot {

//! Reads one column chunk of a row group straight into Arrow buffers with parquet's
//! low-level ColumnReader, skipping what Arrow's general record reader does for every
//! column whatever its contents: decoding definition levels into a validity bitmap and
//! growing its value buffer by reallocation. Measured on bench/scan_bench.py those were
//! a sixth of the scan's CPU time; a chunk whose statistics say it holds no nulls needs
//! neither, so its values are decoded once into a buffer of the batch's exact size.
class FlatColumnReader {
 public:
  //! A reader for column `leaf` of `row_group` read as `type`, or nullptr when the
  //! column does not qualify (nested, may hold nulls, no statistics, or an Arrow type
  //! that is not the column's physical type as stored); the caller then reads it with
  //! Arrow's reader.
  static std::unique_ptr<FlatColumnReader> MakeIfEligible(
      parquet::RowGroupReader& row_group, int leaf, const std::shared_ptr<arrow::DataType>& type);

  //! The next `rows` values; a chunk holding fewer values than the row group's row
  //! count is corrupt and an IOError.
  arrow::Result<std::shared_ptr<arrow::Array>> Read(int64_t rows);

  virtual ~FlatColumnReader() = default;

 protected:
  FlatColumnReader(std::shared_ptr<parquet::ColumnReader> column, std::shared_ptr<arrow::DataType> type)
      : column_(std::move(column)), type_(std::move(type)) {}
  // Decodes up to `rows` values into `out`; returns how many it decoded.
  virtual int64_t ReadValues(int64_t rows, uint8_t* out) = 0;

  std::shared_ptr<parquet::ColumnReader> column_;
  std::shared_ptr<arrow::DataType> type_;
};

}  // namespace sabot
