// Parsed Parquet footers, shared by every Parquet source of the process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace parquet {
class FileMetaData;
}

namespace sabot {

//! A query opens each of its files many times (schema, plan facts, splits, dictionary
//! checks, every row group), and parsing a footer costs about 10 ns a byte: 1 ms for SF1
//! lineitem's 109 KB, ten times that at SF10. So footers are parsed once and kept for up
//! to kParquetFootersKept files, the least recently used going first.
inline constexpr size_t kParquetFootersKept = 256;

//! What tells one version of a file from another without reading it: a file rewritten
//! or replaced under the same path gets another stamp, so its footer is parsed anew.
struct ParquetFileStamp {
  uint64_t device = 0, inode = 0;
  int64_t size = 0, modified_ns = 0;
  bool operator==(const ParquetFileStamp&) const = default;
};

//! The file's stamp now; nullopt when it cannot be stat'ed (the open reports why).
std::optional<ParquetFileStamp> StampParquetFile(const std::string& path);

//! The footer kept for `path` if it was parsed from the version `stamp` names, else null.
std::shared_ptr<parquet::FileMetaData> FindParquetFooter(const std::string& path, const ParquetFileStamp& stamp);

//! Keeps `footer`, parsed from `path` after `stamp` was taken. Taking the stamp first
//! means a file that changed in between is parsed again next time, never trusted stale.
void KeepParquetFooter(const std::string& path, const ParquetFileStamp& stamp,
                       std::shared_ptr<parquet::FileMetaData> footer);

//! How many footers are kept (for tests).
size_t ParquetFootersKept();

}  // namespace sabot
