// A Parquet row group whose Snappy pages Sabot decompresses itself (see snappy.h).
#pragma once

#include <memory>
#include <string>

#include <arrow/io/interfaces.h>

namespace parquet {
class FileMetaData;
class PageReader;
class ParquetFileReader;
class RowGroupReader;
}  // namespace parquet

namespace sabot {

//! A RowGroupReader over row group `row_group` of `file`, whose footer is `metadata`. Its
//! column readers are Arrow's (levels, encodings, dictionaries as usual), fed by a page
//! reader that takes each page out of the column chunk as stored and decompresses Snappy
//! pages with SnappyUncompress; a chunk of another codec is decompressed by Arrow.
//! A corrupt page makes the column reader throw a ParquetException, as Arrow's would.
//!
//! nullptr for files this reader leaves to Arrow's: encrypted files, and files from a
//! parquet-mr old enough to record column chunk sizes Arrow pads (PARQUET-816).
std::shared_ptr<parquet::RowGroupReader> MakeSnappyRowGroupReader(
    std::shared_ptr<arrow::io::RandomAccessFile> file, std::shared_ptr<parquet::FileMetaData> metadata,
    int row_group);

//! `file` opened as Parquet (with `footer` when given, else parsing the file's), its row
//! groups those of MakeSnappyRowGroupReader where that takes the file, else Arrow's.
//! Throws a ParquetException for a file that is not Parquet, as Arrow's opening does.
//! Not for Arrow's pre-buffering (ArrowReaderProperties::set_pre_buffer): that reaches
//! into Arrow's own file contents, which this reader wraps.
std::unique_ptr<parquet::ParquetFileReader> OpenSnappyParquetFile(std::shared_ptr<arrow::io::RandomAccessFile> file,
                                                                  std::shared_ptr<parquet::FileMetaData> footer);

//! The pages of `stored` (pages as they lie in the file) with their Snappy-compressed
//! bytes decompressed: dictionary pages, version 1 data pages, and version 2 data pages
//! flagged compressed (their levels stay as stored). Errors name `column`.
std::unique_ptr<parquet::PageReader> MakeSnappyPageReader(std::unique_ptr<parquet::PageReader> stored,
                                                          std::string column);

}  // namespace sabot
