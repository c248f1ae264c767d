// ConcatenateBatchColumns: the columns of many record batches as one array each, copied
// on several threads.
#pragma once

#include <memory>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"

namespace sabot {

//! One array per column of `schema`, holding the rows of `batches` in order (each batch
//! has `schema`). Columns without nulls whose values are whole bytes wide (integers,
//! floats, dates, decimals) or strings and binaries are copied batch by batch on up
//! to `workers` threads: a hash join's build side is a few columns, so copying column by
//! column left all but a few of 16 threads idle while the probe waited (the one serial
//! step of a large build). Other columns (with nulls, booleans, nested types) go through
//! arrow::Concatenate, a column per thread. One batch is returned as it is, not copied.
Result<std::vector<std::shared_ptr<arrow::Array>>> ConcatenateBatchColumns(
    const arrow::Schema& schema, const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches, int workers);

}  // namespace sabot
