// ParquetSink: Parquet files, compressed with zstd (or snappy) when the build has it.
#pragma once

#include <memory>
#include <string>

#include "sabot/io/file_sink.h"

namespace sabot {

//! Row groups hold at most kParquetMaxRowGroupRows rows.
inline constexpr int64_t kParquetMaxRowGroupRows = 1 << 20;

Result<std::unique_ptr<Sink>> MakeParquetSink(std::string path,
                                              std::shared_ptr<arrow::Schema> input_schema,
                                              SinkOutput* output);

}  // namespace sabot
