// PyCapsule plumbing: each capsule owns a C struct whose release callback frees the
// Arrow data unless a consumer moved it out (then release is null).
#include "arrow_capsules.h"

#include <arrow/c/abi.h>
#include <arrow/c/bridge.h>
#include <arrow/record_batch.h>
#include <arrow/table.h>

namespace sabot::python {

namespace {

template <typename T>
void ReleaseCapsule(PyObject* capsule, const char* name) {
  auto* c_struct = static_cast<T*>(PyCapsule_GetPointer(capsule, name));
  if (c_struct == nullptr) {
    PyErr_Clear();
    return;
  }
  if (c_struct->release != nullptr) c_struct->release(c_struct);
  delete c_struct;
}

void ReleaseSchemaCapsule(PyObject* capsule) { ReleaseCapsule<ArrowSchema>(capsule, "arrow_schema"); }
void ReleaseArrayCapsule(PyObject* capsule) { ReleaseCapsule<ArrowArray>(capsule, "arrow_array"); }

template <typename T>
Result<T*> CapsulePointer(nb::handle capsule, const char* name) {
  if (!PyCapsule_IsValid(capsule.ptr(), name)) {
    return Status::TypeError("expected a PyCapsule named '", name, "' (Arrow PyCapsule protocol)");
  }
  return static_cast<T*>(PyCapsule_GetPointer(capsule.ptr(), name));
}

}  // namespace

Result<nb::object> ExportSchema(const arrow::Schema& schema) {
  auto c_schema = std::make_unique<ArrowSchema>();
  ARROW_RETURN_NOT_OK(arrow::ExportSchema(schema, c_schema.get()));
  PyObject* capsule = PyCapsule_New(c_schema.get(), "arrow_schema", ReleaseSchemaCapsule);
  if (capsule == nullptr) throw nb::python_error();
  c_schema.release();
  return nb::steal(capsule);
}

Result<nb::tuple> ExportBatch(const std::shared_ptr<arrow::RecordBatch>& batch) {
  ARROW_ASSIGN_OR_RAISE(auto schema_capsule, ExportSchema(*batch->schema()));
  auto c_array = std::make_unique<ArrowArray>();
  ARROW_RETURN_NOT_OK(arrow::ExportRecordBatch(*batch, c_array.get()));
  PyObject* capsule = PyCapsule_New(c_array.get(), "arrow_array", ReleaseArrayCapsule);
  if (capsule == nullptr) {
    c_array->release(c_array.get());
    throw nb::python_error();
  }
  c_array.release();
  return nb::make_tuple(schema_capsule, nb::steal(capsule));
}

Result<std::shared_ptr<arrow::Schema>> ImportSchema(nb::handle schema_capsule) {
  ARROW_ASSIGN_OR_RAISE(auto* c_schema, CapsulePointer<ArrowSchema>(schema_capsule, "arrow_schema"));
  return arrow::ImportSchema(c_schema);
}

Result<std::shared_ptr<arrow::RecordBatch>> ImportBatch(nb::handle schema_capsule, nb::handle array_capsule) {
  ARROW_ASSIGN_OR_RAISE(auto* c_schema, CapsulePointer<ArrowSchema>(schema_capsule, "arrow_schema"));
  ARROW_ASSIGN_OR_RAISE(auto* c_array, CapsulePointer<ArrowArray>(array_capsule, "arrow_array"));
  return arrow::ImportRecordBatch(c_array, c_schema);
}

Result<std::shared_ptr<arrow::Table>> ImportStreamAsTable(nb::handle stream_capsule) {
  ARROW_ASSIGN_OR_RAISE(auto* c_stream, CapsulePointer<ArrowArrayStream>(stream_capsule, "arrow_array_stream"));
  ARROW_ASSIGN_OR_RAISE(auto reader, arrow::ImportRecordBatchReader(c_stream));
  return reader->ToTable();
}

}  // namespace sabot::python
