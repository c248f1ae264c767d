// FileSplit: the morsel of a file source -- one file, or one row group of a Parquet file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sabot/exec/source.h"

namespace sabot {

class FileSplit : public SourceSplit {
 public:
  explicit FileSplit(std::string path, int row_group = -1, int64_t num_rows = -1)
      : path_(std::move(path)), row_group_(row_group), num_rows_(num_rows) {}

  const std::string& path() const { return path_; }
  //! -1 when the split is the whole file.
  int row_group() const { return row_group_; }
  //! -1 when unknown before reading (CSV, JSON).
  int64_t num_rows() const { return num_rows_; }

  std::string ToString() const override {
    if (row_group_ < 0) return "FileSplit(" + path_ + ")";
    return "FileSplit(" + path_ + ", row_group=" + std::to_string(row_group_) + ")";
  }

 private:
  std::string path_;
  int row_group_;
  int64_t num_rows_;
};

//! The rows of a file source as its splits' metadata count them (a Parquet footer's row
//! groups): nullopt when listing the splits fails or some split does not know its rows.
inline std::optional<int64_t> RowsOfFileSplits(Source& source) {
  auto splits = source.Splits();
  if (!splits.ok()) return std::nullopt;
  int64_t rows = 0;
  for (const auto& split : *splits) {
    const auto* file = dynamic_cast<const FileSplit*>(split.get());
    if (file == nullptr || file->num_rows() < 0) return std::nullopt;
    rows += file->num_rows();
  }
  return rows;
}

}  // namespace sabot
