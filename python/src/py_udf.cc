// Adapts the Python side of UDFs (sabot/_udf_registry.py) to UdfFunction: the
// specializer, host kernels and error reports run with the GIL; native kernels never
// take it.
#include "py_udf.h"

#include <mutex>
#include <set>

#include <arrow/record_batch.h>
#include <arrow/type.h>

#include <nanobind/stl/string.h>

#include "arrow_capsules.h"
#include "py_errors.h"
#include "sabot/expr/udf_function.h"

namespace sabot::python {

namespace {

class PyRef;

// Every live PyRef: Arrow's function registry, which holds them, outlives the
// interpreter, so they are let go at exit (ReleaseAll) while Python still runs. Never
// destroyed: the registry's kernels drop their PyRefs during static destruction.
std::mutex& LiveMutex() {
  static auto* mutex = new std::mutex;
  return *mutex;
}
std::set<PyRef*>& Live() {
  static auto* refs = new std::set<PyRef*>;
  return *refs;
}

//! A Python object that may be dropped on any thread: it takes the GIL to let go.
class PyRef {
 public:
  explicit PyRef(nb::object object) : object_(new nb::object(std::move(object))) {
    std::lock_guard<std::mutex> lock(LiveMutex());
    Live().insert(this);
  }
  ~PyRef() {
    nb::object* object = nullptr;
    {
      std::lock_guard<std::mutex> lock(LiveMutex());
      Live().erase(this);
      std::swap(object, object_);
    }
    if (object != nullptr && Py_IsInitialized()) {
      nb::gil_scoped_acquire gil;
      delete object;
    }
  }
  PyRef(const PyRef&) = delete;
  PyRef& operator=(const PyRef&) = delete;

  //! The object; an error once the interpreter is shutting down. GIL held.
  Result<nb::object> get() const {
    std::lock_guard<std::mutex> lock(LiveMutex());
    if (object_ == nullptr) return Status::Cancelled("Python is shutting down: UDFs can no longer run");
    return *object_;
  }

  //! Drops every held object (GIL held): at interpreter exit.
  static void ReleaseAll() {
    std::vector<nb::object*> objects;
    {
      std::lock_guard<std::mutex> lock(LiveMutex());
      for (PyRef* ref : Live()) {
        if (ref->object_ != nullptr) objects.push_back(ref->object_);
        ref->object_ = nullptr;
      }
    }
    for (nb::object* object : objects) delete object;
  }

 private:
  nb::object* object_;
};

//! The arguments as one batch (columns arg0, arg1, ...), exported as capsules.
Result<nb::tuple> ExportArguments(const std::vector<std::shared_ptr<arrow::Array>>& args) {
  arrow::FieldVector fields;
  int64_t length = args.empty() ? 0 : args[0]->length();
  for (size_t i = 0; i < args.size(); ++i) fields.push_back(arrow::field("arg" + std::to_string(i), args[i]->type()));
  return ExportBatch(arrow::RecordBatch::Make(arrow::schema(std::move(fields)), length, args));
}

std::string Context(const std::string& name) { return "UDF '" + name + "': "; }

// The Python specializer returns (address, output schema capsule, handles_nulls, host,
// on_error, keep_alive): address is 0 for a host kernel, which `host(schema capsule,
// array capsule) -> (schema capsule, array capsule)` computes; on_error(capsules, row)
// re-raises a native kernel's failure as the Python exception it stands for.
Result<UdfKernelSpec> Specialize(const std::string& name, const std::shared_ptr<PyRef>& specializer,
                                 const std::vector<std::shared_ptr<arrow::DataType>>& types) {
  nb::gil_scoped_acquire gil;
  try {
    arrow::FieldVector fields;
    for (size_t i = 0; i < types.size(); ++i) fields.push_back(arrow::field("arg" + std::to_string(i), types[i]));
    ARROW_ASSIGN_OR_RAISE(auto types_capsule, ExportSchema(*arrow::schema(std::move(fields))));
    ARROW_ASSIGN_OR_RAISE(nb::object specialize, specializer->get());
    auto result = nb::cast<nb::tuple>(specialize(types_capsule));
    if (result.size() != 6) return Status::Invalid(Context(name), "the specializer returned a malformed tuple");
    UdfKernelSpec spec;
    ARROW_ASSIGN_OR_RAISE(auto out_schema, ImportSchema(result[1]));
    if (out_schema->num_fields() != 1) return Status::Invalid(Context(name), "output schema needs one field");
    spec.output_type = out_schema->field(0)->type();
    spec.handles_nulls = nb::cast<bool>(result[2]);
    auto address = nb::cast<uintptr_t>(result[0]);
    spec.keep_alive = std::make_shared<PyRef>(nb::borrow(result[5]));
    if (address != 0) {
      spec.native = reinterpret_cast<NativeUdfFn>(address);
      auto on_error = std::make_shared<PyRef>(nb::borrow(result[4]));
      spec.on_error = [name, on_error](const std::vector<std::shared_ptr<arrow::Array>>& args, int64_t row) -> Status {
        nb::gil_scoped_acquire gil;
        try {
          ARROW_ASSIGN_OR_RAISE(auto capsules, ExportArguments(args));
          ARROW_ASSIGN_OR_RAISE(nb::object report, on_error->get());
          nb::object message = report(capsules[0], capsules[1], row);
          return Status::ExecutionError(Context(name), nb::cast<std::string>(nb::str(message)));
        } catch (nb::python_error& e) {
          return StatusFromPython(e, Context(name));
        }
      };
    } else {
      auto host = std::make_shared<PyRef>(nb::borrow(result[3]));
      spec.host = [name, host](const std::vector<std::shared_ptr<arrow::Array>>& args)
          -> Result<std::shared_ptr<arrow::Array>> {
        nb::gil_scoped_acquire gil;
        try {
          ARROW_ASSIGN_OR_RAISE(auto capsules, ExportArguments(args));
          ARROW_ASSIGN_OR_RAISE(nb::object run, host->get());
          auto out = nb::cast<nb::tuple>(run(capsules[0], capsules[1]));
          ARROW_ASSIGN_OR_RAISE(auto batch, ImportBatch(out[0], out[1]));
          if (batch->num_columns() != 1) return Status::Invalid(Context(name), "host kernel must return one column");
          return batch->column(0);
        } catch (nb::python_error& e) {
          return StatusFromPython(e, Context(name));
        } catch (const nb::cast_error& e) {
          return Status::TypeError(Context(name), "its result could not be converted: ", e.what());
        }
      };
    }
    return spec;
  } catch (nb::python_error& e) {
    return StatusFromPython(e, Context(name));
  } catch (const nb::cast_error& e) {
    return Status::TypeError(Context(name), "the specializer returned a malformed result: ", e.what());
  }
}

}  // namespace

void BindUdfs(nb::module_& m) {
  m.def(
      "register_udf",
      [](const std::string& name, int arity, nb::object specializer, const std::string& describe) {
        auto ref = std::make_shared<PyRef>(std::move(specializer));
        OkOrRaise(RegisterUdf(
            name, arity,
            [name, ref](const std::vector<std::shared_ptr<arrow::DataType>>& types) {
              return Specialize(name, ref, types);
            },
            describe));
      },
      nb::arg("name"), nb::arg("arity"), nb::arg("specializer"), nb::arg("describe") = "");
  m.def("is_registered_udf", &IsRegisteredUdf, nb::arg("name"));
  m.def("release_udf_references", &PyRef::ReleaseAll);
}

}  // namespace sabot::python
