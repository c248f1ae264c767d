// PrintSink: a query's result as a boxed, aligned text table.
#pragma once

#include <cstdint>
#include <memory>

#include "sabot/io/batch_sink.h"

namespace sabot {

//! Keeps the first `max_rows` rows (negative: all) and prints them at EndOfStream to
//! `output->print_to` (null: std::cout): column names, types, the rows (numbers right
//! aligned, nulls as "null", cells cut at kPrintMaxCellWidth characters with "…"),
//! then the total row count, with "(showing first M)" when rows were left out.
Result<std::unique_ptr<Sink>> MakePrintSink(std::shared_ptr<arrow::Schema> input_schema,
                                            int64_t max_rows, SinkOutput* output);

inline constexpr int kPrintMaxCellWidth = 40;

}  // namespace sabot
