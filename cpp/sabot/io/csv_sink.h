// CsvSink: CSV files with a header row, written by Arrow's CSV writer.
#pragma once

#include <memory>
#include <string>

#include "sabot/io/file_sink.h"

namespace sabot {

//! Fails at construction when a column type has no CSV form (e.g. a list).
Result<std::unique_ptr<Sink>> MakeCsvSink(std::string path,
                                          std::shared_ptr<arrow::Schema> input_schema,
                                          SinkOutput* output);

}  // namespace sabot
