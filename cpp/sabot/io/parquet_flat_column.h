// FlatColumnReader: a fast path for flat Parquet columns without nulls (fixed-width,
// string and binary), and for INT32/INT64 decimals read as float64.
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
//! growing its value buffer by reallocation (or, for dictionary strings, appending
//! indices one by one to a dictionary builder). Measured on bench/scan_bench.py those
//! were a sixth of the scan's CPU time; a chunk whose statistics say it holds no nulls
//! needs none of it, so its values are decoded once into a buffer of the batch's size.
//! Fixed-width columns become plain arrays; string and binary columns whose every page
//! uses the dictionary become dictionary arrays (int32 indices over the chunk's one
//! dictionary, shared by all its batches), other string and binary columns plain
//! string and binary arrays (never views).
class FlatColumnReader {
 public:
  //! A reader for column `leaf` of `row_group` read as `type`, or nullptr when the
  //! column does not qualify (nested, may hold nulls, no statistics, an Arrow type that
  //! is not the column's physical type as stored, or a dictionary of strings with a page
  //! that does not use the dictionary); the caller then reads it with Arrow's reader. A
  //! string column whose pages all use the dictionary is read as a dictionary when `type`
  //! is a dictionary of strings or `expand` is set (the caller casts); any other string
  //! or binary column read as a plain or view type becomes utf8 or binary (large types
  //! are left to Arrow's reader). A decimal column stored as
  //! INT32 or INT64 qualifies as float64, nulls or not: the values sabot_decimal_to_float64
  //! gives (see decimal_to_float64.h), never a decimal array in between.
  static std::unique_ptr<FlatColumnReader> MakeIfEligible(
      parquet::RowGroupReader& row_group, int leaf, const std::shared_ptr<arrow::DataType>& type,
      bool expand);

  //! The next `rows` values; a chunk holding fewer values than the row group's row
  //! count, or an index outside its dictionary, is corrupt and an IOError.
  virtual arrow::Result<std::shared_ptr<arrow::Array>> Read(int64_t rows) = 0;

  //! The next `rows` values, of which only the `count` at `selected` (increasing offsets
  //! below `rows`) are kept: late materialization's read of a column after a filter
  //! chose its rows. Each value is still decoded (pages carry no row index to skip by),
  //! but only the kept ones are gathered into the array, and indices outside the
  //! dictionary are an error only where kept. By default Read, then Arrow's take.
  virtual arrow::Result<std::shared_ptr<arrow::Array>> ReadSelected(int64_t rows, const int32_t* selected,
                                                                    int64_t count);

  //! The next `rows` values as Read gives them, or, where the chunk is read by its
  //! dictionary and that holds at most `most_entries` entries (a filter's dates,
  //! quantities, flags: a quarter of the rows; a join key test's keys: as many as the
  //! rows), as a dictionary array: int32 indices, each checked to lie inside the
  //! dictionary, over the chunk's entries in Read's type (the same array for every read
  //! of the chunk). A test then looks at each entry once and each row by its index. The
  //! indices lie in a buffer the reader reuses: the array is valid until its next read.
  //! By default Read.
  virtual arrow::Result<std::shared_ptr<arrow::Array>> ReadAsDictionary(int64_t rows, int64_t most_entries);

  virtual ~FlatColumnReader() = default;
};

//! Whether every data page of a column chunk uses its dictionary, as the chunk's page
//! encoding statistics tell (in whatever order the writer listed them); false when the
//! writer recorded none.
bool AllPagesUseTheDictionary(const parquet::ColumnChunkMetaData& chunk);

}  // namespace sabot
