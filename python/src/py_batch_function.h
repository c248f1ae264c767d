// A BatchFunction that calls a Python callable (map_batches): takes the GIL, hands the
// batch to Python as a pyarrow.RecordBatch without copying, and imports the result.
#pragma once

#include <memory>
#include <string>

#include <nanobind/nanobind.h>

#include "sabot/expr/batch_function.h"

namespace sabot::python {

namespace nb = nanobind;

class PyBatchFunction final : public BatchFunction {
 public:
  //! `invoke(fn, schema_capsule, array_capsule) -> (schema_capsule, array_capsule)` is
  //! the Python-side adapter; `declared` (may be null) is the output schema the user gave.
  PyBatchFunction(nb::object fn, nb::object invoke, std::string name, std::shared_ptr<arrow::Schema> declared);
  ~PyBatchFunction() override;

  std::string name() const override { return name_; }
  Result<std::shared_ptr<arrow::Schema>> OutputSchema(const std::shared_ptr<arrow::Schema>& input) override;
  Result<std::shared_ptr<arrow::RecordBatch>> Call(const std::shared_ptr<arrow::RecordBatch>& batch) override;

 private:
  // Heap-held so they can be dropped under the GIL from whichever thread runs last.
  nb::object* fn_;
  nb::object* invoke_;
  std::string name_;
  std::shared_ptr<arrow::Schema> declared_;
};

}  // namespace sabot::python
