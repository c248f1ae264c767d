// CountSink: counts rows and drops them (benchmarks measure the pipeline, not output).
#pragma once

#include <memory>

#include "sabot/io/batch_sink.h"

namespace sabot {

//! Adds each batch's rows to `output->rows`; keeps nothing.
Result<std::unique_ptr<Sink>> MakeCountSink(std::shared_ptr<arrow::Schema> input_schema,
                                            SinkOutput* output);

}  // namespace sabot
