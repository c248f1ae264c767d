// JsonSink: JSON lines files (one object per row), encoded column by column.
#pragma once

#include <memory>
#include <string>

#include "sabot/io/file_sink.h"

namespace sabot {

//! One JSON object per line, keys in schema order. Numbers are shortest round-trip
//! text (NaN and infinities become null); dates, times and timestamps are ISO-8601
//! strings (UTC-zoned timestamps end in 'Z', fixed offsets keep their "+hh:mm");
//! decimals are strings (exact); lists are arrays and structs objects. Other types
//! (binary, durations, maps, ...) are written as Arrow's text for the value.
Result<std::unique_ptr<Sink>> MakeJsonSink(std::string path,
                                           std::shared_ptr<arrow::Schema> input_schema,
                                           SinkOutput* output);

}  // namespace sabot
