// PyBatchFunction.
#include "py_batch_function.h"

#include <arrow/array/util.h>
#include <arrow/record_batch.h>

#include <nanobind/stl/string.h>

#include "arrow_capsules.h"
#include "py_errors.h"

namespace sabot::python {

PyBatchFunction::PyBatchFunction(nb::object fn, nb::object invoke, std::string name,
                                 std::shared_ptr<arrow::Schema> declared)
    : fn_(new nb::object(std::move(fn))),
      invoke_(new nb::object(std::move(invoke))),
      name_(std::move(name)),
      declared_(std::move(declared)) {}

PyBatchFunction::~PyBatchFunction() {
  if (Py_IsInitialized()) {
    nb::gil_scoped_acquire gil;
    delete fn_;
    delete invoke_;
  }
}

Result<std::shared_ptr<arrow::Schema>> PyBatchFunction::OutputSchema(const std::shared_ptr<arrow::Schema>& input) {
  if (declared_) return declared_;
  // Learn the schema from what the function makes of an empty batch.
  ARROW_ASSIGN_OR_RAISE(auto empty, arrow::RecordBatch::MakeEmpty(input));
  auto out = Call(empty);
  if (!out.ok()) {
    return out.status().WithMessage("calling it on an empty batch to learn its output columns failed "
                                    "(pass schema= to map_batches to skip this): ", out.status().message());
  }
  return (*out)->schema();
}

Result<std::shared_ptr<arrow::RecordBatch>> PyBatchFunction::Call(const std::shared_ptr<arrow::RecordBatch>& batch) {
  nb::gil_scoped_acquire gil;
  try {
    ARROW_ASSIGN_OR_RAISE(auto capsules, ExportBatch(batch));
    nb::object out = (*invoke_)(*fn_, capsules[0], capsules[1]);
    auto pair = nb::cast<nb::tuple>(out);
    return ImportBatch(pair[0], pair[1]);
  } catch (nb::python_error& e) {
    return StatusFromPython(e, "");
  } catch (const nb::cast_error& e) {
    return Status::TypeError("the function's result could not be converted: ", e.what());
  }
}

}  // namespace sabot::python
