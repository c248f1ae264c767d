// PyKeyedProcessFunction: the rows of a key and its timers, handed to Python.
#include "py_keyed_process.h"

#include <arrow/record_batch.h>

#include <nanobind/stl/string.h>

#include "arrow_capsules.h"
#include "py_errors.h"
#include "sabot/ops/keyed_process.h"

namespace sabot::python {

using namespace nb::literals;

namespace {

// A Python value kept in keyed state: released under the GIL wherever the state dies.
struct PyValue {
  explicit PyValue(nb::object value) : object(value.release().ptr()) {}
  ~PyValue() {
    if (Py_IsInitialized()) {
      nb::gil_scoped_acquire gil;
      Py_XDECREF(object);
    }
  }
  PyObject* object;
};

class PyKeyedProcessFunction final : public KeyedProcessFunction {
 public:
  PyKeyedProcessFunction(nb::object* fn, nb::object* invoke, std::string name, std::shared_ptr<arrow::Schema> output)
      : fn_(fn), invoke_(invoke), name_(std::move(name)), output_(std::move(output)) {}
  std::string name() const override { return name_; }
  Result<std::shared_ptr<arrow::Schema>> OutputSchema(const arrow::Schema&) override { return output_; }

  Status ProcessRows(const std::shared_ptr<arrow::RecordBatch>& rows, KeyedProcessContext& context) override {
    nb::gil_scoped_acquire gil;
    ARROW_ASSIGN_OR_RAISE(auto capsules, ExportBatch(rows));
    return Invoke("rows", context, capsules[0], capsules[1]);
  }

  Status OnTimer(EventTime time, KeyedProcessContext& context) override {
    nb::gil_scoped_acquire gil;
    return Invoke("timer", context, nb::int_(time), nb::none());
  }

 private:
  Status Invoke(const char* event, KeyedProcessContext& context, nb::handle a, nb::handle b) {
    try {
      (*invoke_)(*fn_, event, nb::cast(&context, nb::rv_policy::reference), a, b);
      return Status::OK();
    } catch (nb::python_error& e) {
      return StatusFromPython(e, "");
    } catch (const nb::cast_error& e) {
      return Status::TypeError("keyed process function '", name_, "': ", e.what());
    }
  }

  nb::object* fn_;  // owned by the factory, which the plan keeps alive while this runs
  nb::object* invoke_;
  std::string name_;
  std::shared_ptr<arrow::Schema> output_;
};

}  // namespace

PyKeyedProcessFactory::PyKeyedProcessFactory(nb::object fn, nb::object invoke, std::string name,
                                             std::shared_ptr<arrow::Schema> output)
    : fn_(new nb::object(std::move(fn))),
      invoke_(new nb::object(std::move(invoke))),
      name_(std::move(name)),
      output_(std::move(output)) {}

PyKeyedProcessFactory::~PyKeyedProcessFactory() {
  if (Py_IsInitialized()) {
    nb::gil_scoped_acquire gil;
    delete fn_;
    delete invoke_;
  }
}

std::unique_ptr<KeyedProcessFunction> PyKeyedProcessFactory::Make() const {
  return std::make_unique<PyKeyedProcessFunction>(fn_, invoke_, name_, output_);
}

void BindKeyedProcessContext(nb::module_& m) {
  nb::class_<KeyedProcessContext>(m, "KeyedProcessContext")
      .def_prop_ro("watermark", &KeyedProcessContext::watermark)
      .def("key_capsules", [](const KeyedProcessContext& c) { return ValueOrRaise(ExportBatch(c.key_row())); })
      .def(
          "value",
          [](const KeyedProcessContext& c, const std::string& name) -> nb::object {
            auto value = c.Value<std::shared_ptr<PyValue>>(name);
            if (!value) return nb::none();
            return nb::borrow((*value)->object);
          },
          "name"_a)
      .def(
          "set_value",
          [](KeyedProcessContext& c, const std::string& name, nb::object value) {
            c.SetValue(name, std::make_shared<PyValue>(std::move(value)));
          },
          "name"_a, "value"_a)
      .def("clear_value", &KeyedProcessContext::ClearValue, "name"_a)
      .def(
          "list_append",
          [](KeyedProcessContext& c, const std::string& name, nb::object value) {
            c.AppendToList(name, std::make_shared<PyValue>(std::move(value)));
          },
          "name"_a, "value"_a)
      .def(
          "list",
          [](const KeyedProcessContext& c, const std::string& name) {
            nb::list out;
            for (const auto& value : c.List<std::shared_ptr<PyValue>>(name)) out.append(nb::borrow(value->object));
            return out;
          },
          "name"_a)
      .def(
          "set_list",
          [](KeyedProcessContext& c, const std::string& name, nb::iterable values) {
            std::vector<std::shared_ptr<PyValue>> list;
            for (nb::handle value : values) list.push_back(std::make_shared<PyValue>(nb::borrow(value)));
            c.SetList(name, list);
          },
          "name"_a, "values"_a)
      .def("clear_list", &KeyedProcessContext::ClearList, "name"_a)
      // Map keys arrive encoded by the Python side (equal keys, equal text); the entry
      // keeps the user's (key, value) pair so map_items can hand the key back.
      .def(
          "map_put",
          [](KeyedProcessContext& c, const std::string& name, const std::string& map_key, nb::object entry) {
            c.MapPut(name, map_key, std::make_shared<PyValue>(std::move(entry)));
          },
          "name"_a, "map_key"_a, "entry"_a)
      .def(
          "map_get",
          [](const KeyedProcessContext& c, const std::string& name, const std::string& map_key) -> nb::object {
            auto entry = c.MapGet<std::shared_ptr<PyValue>>(name, map_key);
            if (!entry) return nb::none();
            return nb::borrow((*entry)->object);
          },
          "name"_a, "map_key"_a)
      .def("map_remove", &KeyedProcessContext::MapErase, "name"_a, "map_key"_a)
      .def(
          "map_entries",
          [](const KeyedProcessContext& c, const std::string& name) {
            nb::list out;
            for (const auto& [map_key, entry] : c.MapEntries<std::shared_ptr<PyValue>>(name)) {
              out.append(nb::borrow(entry->object));
            }
            return out;
          },
          "name"_a)
      .def("clear_map", &KeyedProcessContext::ClearMap, "name"_a)
      .def("register_timer", &KeyedProcessContext::RegisterEventTimeTimer, "time_us"_a)
      .def("delete_timer", &KeyedProcessContext::DeleteEventTimeTimer, "time_us"_a)
      .def("register_processing_timer", &KeyedProcessContext::RegisterProcessingTimeTimer, "time_us"_a)
      .def("delete_processing_timer", &KeyedProcessContext::DeleteProcessingTimeTimer, "time_us"_a)
      .def_prop_ro("processing_time", &KeyedProcessContext::processing_time)
      .def_prop_ro("time_domain",
                   [](const KeyedProcessContext& c) {
                     return c.time_domain() == TimeDomain::kProcessingTime ? "processing_time" : "event_time";
                   })
      .def(
          "emit",
          [](KeyedProcessContext& c, nb::handle schema_capsule, nb::handle array_capsule) {
            c.Emit(ValueOrRaise(ImportBatch(schema_capsule, array_capsule)));
          },
          "schema_capsule"_a, "array_capsule"_a);
}

}  // namespace sabot::python
