// Python exceptions as Status details, and back.
#include "py_errors.h"

#include <nanobind/stl/string.h>

namespace sabot::python {

namespace {

constexpr const char* kDetailId = "sabot::python::PythonExceptionDetail";

class PythonExceptionDetail final : public arrow::StatusDetail {
 public:
  explicit PythonExceptionDetail(nb::object exception) : exception_(new nb::object(std::move(exception))) {}
  ~PythonExceptionDetail() override {
    // The last reference may go on an engine thread; dropping a Python object needs the GIL.
    if (Py_IsInitialized()) {
      nb::gil_scoped_acquire gil;
      delete exception_;
    }
  }
  const char* type_id() const override { return kDetailId; }
  std::string ToString() const override { return "Python exception"; }
  const nb::object& exception() const { return *exception_; }

 private:
  nb::object* exception_;
};

}  // namespace

Status StatusFromPython(nb::python_error& error, const std::string& context) {
  nb::object exception = nb::borrow(error.value());
  // Keep the frames of the user's function: on Python < 3.12 the traceback is held
  // beside the exception, not in it.
  nb::object traceback = error.traceback();
  if (traceback.is_valid() && !traceback.is_none()) PyException_SetTraceback(exception.ptr(), traceback.ptr());
  std::string text = nb::cast<std::string>(nb::str(nb::handle(Py_TYPE(exception.ptr())).attr("__name__")));
  std::string message = nb::cast<std::string>(nb::str(exception));
  if (!message.empty()) text += ": " + message;
  return Status(arrow::StatusCode::ExecutionError, context + text,
                std::make_shared<PythonExceptionDetail>(std::move(exception)));
}

void RaiseStatus(const Status& status) {
  const auto& detail = status.detail();
  if (detail != nullptr && std::string(detail->type_id()) == kDetailId) {
    const nb::object& exception = static_cast<const PythonExceptionDetail&>(*detail).exception();
    if (nb::hasattr(exception, "add_note")) {
      exception.attr("add_note")("raised inside a sabot job: " + status.message());
    }
    PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exception.ptr())), exception.ptr());
    throw nb::python_error();
  }
  throw SabotError(status.message());
}

}  // namespace sabot::python
