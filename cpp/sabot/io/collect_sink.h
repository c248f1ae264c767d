// CollectSink: keeps a query's batches in memory for API callers.
#pragma once

#include <memory>

#include "sabot/io/batch_sink.h"

namespace sabot {

//! Appends the non-empty batches to `output->collected` at EndOfStream (so an aborted
//! job adds nothing). If the output would hold no batch at all, one empty batch with
//! the input schema is added, so callers always know the schema.
Result<std::unique_ptr<Sink>> MakeCollectSink(std::shared_ptr<arrow::Schema> input_schema,
                                              SinkOutput* output);

}  // namespace sabot
