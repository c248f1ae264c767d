// Arrow C data interface <-> Python PyCapsules ("arrow_schema", "arrow_array",
// "arrow_array_stream"), the zero-copy path between Sabot and pyarrow, polars, duckdb.
#pragma once

#include <memory>

#include <arrow/type_fwd.h>
#include <nanobind/nanobind.h>

#include "sabot/common/errors.h"

namespace sabot::python {

namespace nb = nanobind;

//! Exports a batch as (schema capsule, array capsule); the buffers are shared.
Result<nb::tuple> ExportBatch(const std::shared_ptr<arrow::RecordBatch>& batch);
Result<nb::object> ExportSchema(const arrow::Schema& schema);

//! Imports (moves) from capsules made by any producer of the Arrow PyCapsule protocol.
Result<std::shared_ptr<arrow::Schema>> ImportSchema(nb::handle schema_capsule);
Result<std::shared_ptr<arrow::RecordBatch>> ImportBatch(nb::handle schema_capsule, nb::handle array_capsule);
//! Reads a whole "arrow_array_stream" capsule into a table (zero-copy: the table
//! holds the producer's buffers).
Result<std::shared_ptr<arrow::Table>> ImportStreamAsTable(nb::handle stream_capsule);

}  // namespace sabot::python
