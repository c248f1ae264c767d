// sabot._core: the Python binding of the engine. It builds the same logical plans as
// the C++ Stream builder and runs them on engine threads that never hold the GIL
// (only a Python UDF takes it, for the duration of its call).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include <arrow/config.h>
#include <arrow/record_batch.h>
#include <arrow/scalar.h>
#include <nanobind/nanobind.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include "arrow_capsules.h"
#include "py_batch_function.h"
#include "py_keyed_process.h"
#include "py_errors.h"
#include "py_udf.h"
#include "sabot/common/byte_size.h"
#include "sabot/common/type_names.h"
#include "sabot/plan/plan_json.h"
#include "sabot/plan/stream.h"
#include "sabot/runtime/run.h"
#include "sabot/runtime/running_plan.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace sabot::python {
namespace {

using namespace std::chrono_literals;

Expr LiteralOf(nb::handle value) {
  // bool before int: Python's bool is an int.
  if (nb::isinstance<nb::bool_>(value)) return lit(nb::cast<bool>(value));
  if (nb::isinstance<nb::int_>(value)) return lit(nb::cast<int64_t>(value));
  if (nb::isinstance<nb::float_>(value)) return lit(nb::cast<double>(value));
  if (nb::isinstance<nb::str>(value)) return lit(nb::cast<std::string>(value));
  throw nb::type_error("lit() takes bool, int, float or str; give other values a type with lit(text, type)");
}

Expr TypedLiteral(nb::handle text, const std::string& type_name) {
  auto type = ValueOrRaise(ParseDataType(type_name));
  if (text.is_none()) return NullLiteral(type);
  return Expr::Literal(ValueOrRaise(ParseLiteral(type, nb::cast<std::string>(nb::str(text)))));
}

std::vector<NamedExpr> Named(const std::vector<std::pair<std::string, Expr>>& columns) {
  std::vector<NamedExpr> out;
  for (const auto& [name, expr] : columns) out.push_back({name, expr});
  return out;
}

// Runs `work` on a helper thread while this thread, GIL released, waits in short
// slices and checks for Ctrl-C, which cancels the job.
template <typename Work>
auto RunInterruptibly(std::atomic<bool>& cancel, Work&& work) -> decltype(work()) {
  std::optional<decltype(work())> result;
  std::atomic<bool> done{false};
  std::mutex mutex;
  std::condition_variable finished;
  std::thread worker([&] {
    result.emplace(work());
    std::lock_guard<std::mutex> lock(mutex);
    done.store(true);
    finished.notify_all();
  });
  while (!done.load()) {
    {
      // Woken at the end rather than at the next 20 ms tick, so short jobs return promptly.
      nb::gil_scoped_release release;
      std::unique_lock<std::mutex> lock(mutex);
      finished.wait_for(lock, 20ms, [&] { return done.load(); });
    }
    if (PyErr_CheckSignals() != 0) {
      cancel.store(true);
      {
        nb::gil_scoped_release release;
        worker.join();
      }
      throw nb::python_error();  // KeyboardInterrupt, fetched with the GIL held
    }
  }
  {
    nb::gil_scoped_release release;
    worker.join();
  }
  return std::move(*result);
}

//! Aggregates as Python passes them: (function, column, output name).
using AggregateTuples = std::vector<std::tuple<std::string, std::string, std::string>>;

std::vector<AggregateSpec> AggregateSpecs(const AggregateTuples& aggregates) {
  std::vector<AggregateSpec> specs;
  for (const auto& [function, column, name] : aggregates) {
    specs.push_back({ValueOrRaise(ParseAggregateFunction(function)), column, name});
  }
  return specs;
}

Result<RunResult> RunWithThreads(const Stream& stream, const SinkSpec& spec, int64_t memory_limit, bool allow_spill,
                                  int threads, bool ordered) {
  PlanPtr plan = stream.To(spec);
  std::atomic<bool> cancel{false};
  RunOptions options;
  options.cancel = &cancel;
  options.memory_limit_bytes = memory_limit;
  options.allow_spill = allow_spill;
  options.threads = threads;
  options.ordered = ordered;
  return RunInterruptibly(cancel, [&] { return RunPlan(*plan, options); });
}

int64_t RunToSink(const Stream& stream, const SinkSpec& spec, int64_t memory_limit, bool allow_spill, int threads,
                  bool ordered) {
  return ValueOrRaise(RunWithThreads(stream, spec, memory_limit, allow_spill, threads, ordered)).rows_written;
}

SinkSpec FileSinkSpec(const std::string& format, const std::string& path,
                      std::vector<std::string> partition_by = {}) {
  SinkSpec spec;
  spec.kind = SinkSpec::Kind::kFile;
  spec.format = ValueOrRaise(ParseFileFormat(format));
  spec.path = path;
  spec.partition_by = std::move(partition_by);
  return spec;
}

//! Owns a RunningPlan; closing (cancel + join) releases the GIL, since the engine
//! thread may be waiting for it inside a Python UDF.
class PyRunningPlan {
 public:
  explicit PyRunningPlan(std::unique_ptr<RunningPlan> plan) : plan_(std::move(plan)) {}
  ~PyRunningPlan() { Close(); }

  void Close() {
    if (!plan_) return;
    nb::gil_scoped_release release;
    plan_->Cancel();
    plan_->Join();
    plan_.reset();
  }

  //! (state, batch capsules or None): state 0 = batch, 1 = pending, 2 = end.
  nb::tuple Next(int timeout_ms) {
    if (!plan_) throw SabotError("this result stream is closed");
    Result<RunningPlan::Poll> poll;
    {
      nb::gil_scoped_release release;
      poll = plan_->Next(std::chrono::milliseconds(timeout_ms));
    }
    if (!poll.ok()) {
      Status status = poll.status();
      Close();
      RaiseStatus(status);
    }
    if (poll->state == RunningPlan::State::kBatch) {
      return nb::make_tuple(0, ValueOrRaise(ExportBatch(poll->batch)));
    }
    return nb::make_tuple(poll->state == RunningPlan::State::kPending ? 1 : 2, nb::none());
  }

  int notify_fd() const { return plan_ ? plan_->notify_fd() : -1; }
  nb::object schema() const { return ValueOrRaise(ExportSchema(*plan_->schema())); }

 private:
  std::unique_ptr<RunningPlan> plan_;
};

}  // namespace
}  // namespace sabot::python

NB_MODULE(_core, m) {
  using namespace sabot;
  using namespace sabot::python;

  m.doc() = "Sabot's engine, compiled. Use the `sabot` package rather than this module.";
  nb::exception<SabotError>(m, "SabotError");
  m.attr("__version__") = SABOT_VERSION;
  m.attr("arrow_version") = arrow::GetBuildInfo().version_string;

  nb::class_<Expr>(m, "Expr")
      .def("__str__", &Expr::ToString)
      .def("equals", &Expr::Equals)
      .def("column_refs", &Expr::ColumnRefs);
  m.def("col", [](std::string name) { return Expr::Column(std::move(name)); }, "name"_a);
  m.def("lit", &LiteralOf, "value"_a);
  m.def("typed_lit", &TypedLiteral, "text"_a.none(), "type"_a);
  m.def(
      "call",
      [](std::string function, std::vector<Expr> args, std::map<std::string, std::string> options) {
        return Expr::Call(std::move(function), std::move(args), std::move(options));
      },
      "function"_a, "args"_a, "options"_a);

  BindKeyedProcessContext(m);
  nb::class_<Stream>(m, "Stream")
      .def("filter", &Stream::Filter, "predicate"_a)
      .def("select", &Stream::Select, "columns"_a)
      .def("project", [](const Stream& s, const std::vector<std::pair<std::string, Expr>>& c) {
        return s.Project(Named(c));
      })
      .def("with_columns", [](const Stream& s, const std::vector<std::pair<std::string, Expr>>& c) {
        return s.WithColumns(Named(c));
      })
      .def("rename", &Stream::Rename, "renames"_a)
      .def("union", &Stream::Union, "other"_a)
      .def("limit", &Stream::Limit, "count"_a, "offset"_a = 0)
      .def("explode", &Stream::Explode, "column"_a)
      .def(
          "map_batches",
          [](const Stream& s, nb::object fn, nb::object invoke, std::string name, nb::object schema) {
            std::shared_ptr<arrow::Schema> declared;
            if (!schema.is_none()) declared = ValueOrRaise(ImportSchema(schema));
            return s.MapBatches(std::make_shared<PyBatchFunction>(std::move(fn), std::move(invoke),
                                                                  std::move(name), std::move(declared)));
          },
          "fn"_a, "invoke"_a, "name"_a, "schema_capsule"_a.none())
      .def(
          "join",
          [](const Stream& s, const Stream& right, const std::string& how, std::vector<std::string> left_keys,
             std::vector<std::string> right_keys, std::optional<Expr> residual, std::string suffix, bool changelog,
             int64_t state_ttl_us, std::string time_column) {
            JoinSpec spec;
            spec.type = ValueOrRaise(ParseJoinType(how));
            spec.left_keys = std::move(left_keys);
            spec.right_keys = std::move(right_keys);
            spec.residual = std::move(residual);
            spec.right_suffix = std::move(suffix);
            spec.changelog = changelog;
            spec.state_ttl_us = state_ttl_us;
            spec.time_column = std::move(time_column);
            return s.Join(right, std::move(spec));
          },
          "right"_a, "how"_a, "left_keys"_a, "right_keys"_a, "residual"_a.none(), "suffix"_a, "changelog"_a = false,
          "state_ttl_us"_a = 0, "time_column"_a = "")
      .def(
          "aggregate",
          [](const Stream& s, std::vector<std::string> keys,
             const AggregateTuples& aggregates) {
            return s.Aggregate(std::move(keys), AggregateSpecs(aggregates));
          },
          "keys"_a, "aggregates"_a)
      .def(
          "window_aggregate",
          [](const Stream& s, const std::string& time_column, int64_t size_us, int64_t slide_us,
             int64_t allowed_lateness_us, std::vector<std::string> keys,
             const AggregateTuples& aggregates) {
            WindowSpec window;
            window.kind = slide_us == size_us ? WindowSpec::Kind::kTumbling : WindowSpec::Kind::kSliding;
            window.time_column = time_column;
            window.size_us = size_us;
            window.slide_us = slide_us;
            window.allowed_lateness_us = allowed_lateness_us;
            return s.WindowAggregate(std::move(window), std::move(keys), AggregateSpecs(aggregates));
          },
          "time_column"_a, "size_us"_a, "slide_us"_a, "allowed_lateness_us"_a, "keys"_a, "aggregates"_a)
      .def("late_rows", [](const Stream& s) { return ValueOrRaise(s.LateRows()); })
      .def(
          "keyed_process",
          [](const Stream& s, std::vector<std::string> keys, nb::object fn, nb::object invoke, std::string name,
             nb::object schema, int64_t state_ttl_us) {
            auto output = ValueOrRaise(ImportSchema(schema));
            return s.KeyedProcess(std::move(keys),
                                  std::make_shared<PyKeyedProcessFactory>(std::move(fn), std::move(invoke),
                                                                          std::move(name), output),
                                  state_ttl_us);
          },
          "keys"_a, "fn"_a, "invoke"_a, "name"_a, "schema_capsule"_a, "state_ttl_us"_a = 0)
      .def("idle_timeout", [](const Stream& s, int64_t us) { return ValueOrRaise(s.IdleTimeout(us)); }, "timeout_us"_a)
      .def(
          "global_window_aggregate",
          [](const Stream& s, int64_t trigger_count, int64_t trigger_interval_us, std::vector<std::string> keys,
             const AggregateTuples& aggregates) {
            WindowSpec window;
            window.kind = WindowSpec::Kind::kGlobal;
            window.trigger_count = trigger_count;
            window.trigger_interval_us = trigger_interval_us;
            return s.WindowAggregate(std::move(window), std::move(keys), AggregateSpecs(aggregates));
          },
          "trigger_count"_a, "trigger_interval_us"_a, "keys"_a, "aggregates"_a)
      .def(
          "changelog_aggregate",
          [](const Stream& s, std::vector<std::string> keys, const AggregateTuples& aggregates, int64_t state_ttl_us,
             std::string time_column) {
            return s.ChangelogAggregate(std::move(keys), AggregateSpecs(aggregates), state_ttl_us,
                                        std::move(time_column));
          },
          "keys"_a, "aggregates"_a, "state_ttl_us"_a, "time_column"_a)
      .def(
          "rows_window",
          [](const Stream& s, std::vector<std::string> keys, int64_t rows, const AggregateTuples& aggregates) {
            return s.RowsWindow(std::move(keys), rows, AggregateSpecs(aggregates));
          },
          "keys"_a, "rows"_a, "aggregates"_a)
      .def(
          "interval_join",
          [](const Stream& s, const Stream& other, std::vector<std::string> left_keys,
             std::vector<std::string> right_keys, std::string left_time, std::string right_time, int64_t lower_us,
             int64_t upper_us, std::string suffix) {
            IntervalJoinSpec spec;
            spec.left_keys = std::move(left_keys);
            spec.right_keys = std::move(right_keys);
            spec.left_time = std::move(left_time);
            spec.right_time = std::move(right_time);
            spec.lower_us = lower_us;
            spec.upper_us = upper_us;
            spec.right_suffix = std::move(suffix);
            return s.IntervalJoin(other, std::move(spec));
          },
          "other"_a, "left_keys"_a, "right_keys"_a, "left_time"_a, "right_time"_a, "lower_us"_a, "upper_us"_a,
          "suffix"_a)
      .def(
          "asof_join",
          [](const Stream& s, const Stream& other, const std::string& how, std::vector<std::string> left_keys,
             std::vector<std::string> right_keys, std::string left_time, std::string right_time,
             std::optional<int64_t> tolerance_us, std::string suffix) {
            AsofJoinSpec spec;
            spec.type = ValueOrRaise(ParseJoinType(how));
            spec.left_keys = std::move(left_keys);
            spec.right_keys = std::move(right_keys);
            spec.left_time = std::move(left_time);
            spec.right_time = std::move(right_time);
            spec.tolerance_us = tolerance_us;
            spec.right_suffix = std::move(suffix);
            return s.AsofJoin(other, std::move(spec));
          },
          "other"_a, "how"_a, "left_keys"_a, "right_keys"_a, "left_time"_a, "right_time"_a,
          "tolerance_us"_a.none(), "suffix"_a)
      .def(
          "window_join",
          [](const Stream& s, const Stream& other, std::vector<std::string> left_keys,
             std::vector<std::string> right_keys, std::string left_time, std::string right_time, int64_t size_us,
             int64_t slide_us, std::string suffix) {
            WindowJoinSpec spec;
            spec.left_keys = std::move(left_keys);
            spec.right_keys = std::move(right_keys);
            spec.left_time = std::move(left_time);
            spec.right_time = std::move(right_time);
            spec.size_us = size_us;
            spec.slide_us = slide_us;
            spec.right_suffix = std::move(suffix);
            return s.WindowJoin(other, std::move(spec));
          },
          "other"_a, "left_keys"_a, "right_keys"_a, "left_time"_a, "right_time"_a, "size_us"_a, "slide_us"_a,
          "suffix"_a)
      .def(
          "temporal_join",
          [](const Stream& s, const Stream& table, const std::string& how, std::vector<std::string> left_keys,
             std::vector<std::string> right_keys, std::string left_time, std::string version_time,
             std::string op_column, std::string suffix) {
            TemporalJoinSpec spec;
            spec.type = ValueOrRaise(ParseJoinType(how));
            spec.left_keys = std::move(left_keys);
            spec.right_keys = std::move(right_keys);
            spec.left_time = std::move(left_time);
            spec.version_time = std::move(version_time);
            spec.op_column = std::move(op_column);
            spec.right_suffix = std::move(suffix);
            return s.TemporalJoin(table, std::move(spec));
          },
          "table"_a, "how"_a, "left_keys"_a, "right_keys"_a, "left_time"_a, "version_time"_a, "op_column"_a,
          "suffix"_a)
      .def(
          "session_window_aggregate",
          [](const Stream& s, const std::string& time_column, int64_t gap_us, int64_t allowed_lateness_us,
             std::vector<std::string> keys,
             const AggregateTuples& aggregates) {
            WindowSpec window;
            window.kind = WindowSpec::Kind::kSession;
            window.time_column = time_column;
            window.gap_us = gap_us;
            window.allowed_lateness_us = allowed_lateness_us;
            return s.WindowAggregate(std::move(window), std::move(keys), AggregateSpecs(aggregates));
          },
          "time_column"_a, "gap_us"_a, "allowed_lateness_us"_a, "keys"_a, "aggregates"_a)
      .def(
          "sort",
          [](const Stream& s, const std::vector<std::tuple<std::string, bool, bool>>& keys, int64_t k,
             std::vector<std::string> per, bool with_ties) {
            std::vector<SortKey> sort_keys;
            for (const auto& [column, ascending, nulls_first] : keys) sort_keys.push_back({column, ascending, nulls_first});
            return k < 0 ? s.Sort(std::move(sort_keys)) : s.TopK(std::move(sort_keys), k, std::move(per), with_ties);
          },
          "keys"_a, "k"_a = -1, "per"_a = std::vector<std::string>(), "with_ties"_a = false)
      .def("distinct", &Stream::Distinct, "columns"_a)
      .def("explain", &Stream::Explain)
      .def("explain_with_schemas",
           [](const Stream& s) {
             auto plan = s.Count();
             Result<std::string> text;
             {
               nb::gil_scoped_release release;  // may open files and call UDFs
               text = ExplainPlan(*plan);
             }
             // Show the stream itself, not the sink added to resolve it.
             std::string out;
             const std::string full = ValueOrRaise(std::move(text));
             std::string_view rest = full;
             for (int skipped = 0; !rest.empty();) {
               auto eol = rest.find('\n');
               std::string_view line = rest.substr(0, eol == std::string_view::npos ? rest.size() : eol + 1);
               rest.remove_prefix(line.size());
               if (skipped < 2) {
                 ++skipped;
                 continue;
               }
               out += line.substr(std::min<size_t>(2, line.size()));
             }
             return out;
           })
      .def("is_bounded", [](const Stream& s) { return IsBounded(*s.node()); })
      .def("to_plan_json", [](const Stream& s, const std::string& format, const std::string& path) {
        return ValueOrRaise(SerializePlan(*s.To(FileSinkSpec(format, path))));
      });

  m.def(
      "read_file",
      [](const std::string& format, const std::string& path, nb::object schema, std::vector<std::string> columns,
         const std::string& delimiter, bool header) {
        SourceSpec spec;
        spec.format = ValueOrRaise(ParseFileFormat(format));
        spec.path = path;
        if (!schema.is_none()) spec.schema = ValueOrRaise(ImportSchema(schema));
        spec.columns = std::move(columns);
        if (delimiter.size() != 1) throw nb::value_error("delimiter must be one character");
        spec.csv.delimiter = delimiter[0];
        spec.csv.header = header;
        return Stream::Read(std::move(spec));
      },
      "format"_a, "path"_a, "schema_capsule"_a.none(), "columns"_a, "delimiter"_a, "header"_a);
  m.def(
      "generate",
      [](int64_t rows, int64_t batch_size, double rows_per_second, uint64_t seed, int64_t num_keys,
         int64_t start_time_us, int64_t time_step_us, int64_t max_out_of_orderness_us) {
        GeneratorOptions g;
        g.rows = rows;
        g.batch_size = batch_size;
        g.rows_per_second = rows_per_second;
        g.seed = seed;
        g.num_keys = num_keys;
        g.start_time_us = start_time_us;
        g.time_step_us = time_step_us;
        g.max_out_of_orderness_us = max_out_of_orderness_us;
        return Stream::Generate(g);
      },
      "rows"_a, "batch_size"_a, "rows_per_second"_a, "seed"_a, "num_keys"_a, "start_time_us"_a, "time_step_us"_a,
      "max_out_of_orderness_us"_a);
  m.def(
      "nexmark",
      [](const std::string& table, int64_t events, int64_t batch_size, uint64_t seed, int64_t events_per_second,
         int64_t start_time_us) {
        NexmarkOptions n;
        n.table = ValueOrRaise(ParseNexmarkTable(table));
        n.events = events;
        n.batch_size = batch_size;
        n.seed = seed;
        n.events_per_second = events_per_second;
        n.start_time_us = start_time_us;
        return Stream::Nexmark(n);
      },
      "table"_a, "events"_a, "batch_size"_a, "seed"_a, "events_per_second"_a, "start_time_us"_a);
  m.def(
      "from_stream_capsule",
      [](nb::handle capsule, std::string name, std::string event_time, int64_t max_out_of_orderness_us) {
        SourceSpec spec;
        spec.kind = SourceSpec::Kind::kMemory;
        spec.table = ValueOrRaise(ImportStreamAsTable(capsule));
        spec.table_name = std::move(name);
        spec.event_time_column = std::move(event_time);
        spec.max_out_of_orderness_us = max_out_of_orderness_us;
        return Stream::Read(std::move(spec));
      },
      "capsule"_a, "name"_a, "event_time"_a = "", "max_out_of_orderness_us"_a = 0);

  m.def(
      "write_file",
      [](const Stream& s, const std::string& format, const std::string& path, int64_t memory_limit,
         bool allow_spill, int threads, bool ordered, std::vector<std::string> partition_by) {
        return RunToSink(s, FileSinkSpec(format, path, std::move(partition_by)), memory_limit, allow_spill, threads,
                         ordered);
      },
      "stream"_a, "format"_a, "path"_a, "memory_limit"_a = 0, "allow_spill"_a = true, "threads"_a = 0,
      "ordered"_a = true, "partition_by"_a = std::vector<std::string>{});
  m.def(
      "count_rows",
      [](const Stream& s, int64_t memory_limit, bool allow_spill, int threads, bool ordered) {
        SinkSpec spec;
        spec.kind = SinkSpec::Kind::kCount;
        return RunToSink(s, spec, memory_limit, allow_spill, threads, ordered);
      },
      "stream"_a, "memory_limit"_a = 0, "allow_spill"_a = true, "threads"_a = 0, "ordered"_a = true);
  m.def(
      "analyze",
      [](const Stream& s, int64_t memory_limit, bool allow_spill, int threads, bool ordered) {
        SinkSpec spec;
        spec.kind = SinkSpec::Kind::kCount;
        auto result = ValueOrRaise(RunWithThreads(s, spec, memory_limit, allow_spill, threads, ordered));
        const double seconds = std::chrono::duration<double>(result.stats.wall).count();
        std::string head = std::to_string(result.rows_written) + " rows in " + std::to_string(seconds) + " s on " +
                           std::to_string(result.stats.threads) + (result.stats.threads == 1 ? " thread" : " threads") +
                           "; state memory peak " + FormatByteSize(result.peak_memory) + "\n";
        return head + FormatOperatorStats(result.operators) + FormatStageStats(result.stats.stages, result.stats.wall);
      },
      "stream"_a, "memory_limit"_a = 0, "allow_spill"_a = true, "threads"_a = 0, "ordered"_a = true);
  // Runs to the end on `threads` workers (RunOptions::threads); (schema capsule, [batch capsules]).
  m.def(
      "collect",
      [](const Stream& s, int64_t memory_limit, bool allow_spill, int threads, bool ordered) {
        SinkSpec spec;
        spec.kind = SinkSpec::Kind::kCollect;
        auto result = ValueOrRaise(RunWithThreads(s, spec, memory_limit, allow_spill, threads, ordered));
        nb::list batches;
        for (const auto& batch : result.collected) batches.append(ValueOrRaise(ExportBatch(batch)));
        return nb::make_tuple(ValueOrRaise(ExportSchema(*result.schema)), batches);
      },
      "stream"_a, "memory_limit"_a = 0, "allow_spill"_a = true, "threads"_a = 0, "ordered"_a = true);
  m.def("parse_byte_size", [](const std::string& text) { return ValueOrRaise(ParseByteSize(text)); }, "text"_a);

  nb::class_<PyRunningPlan>(m, "RunningPlan")
      .def("next", &PyRunningPlan::Next, "timeout_ms"_a)
      .def("close", &PyRunningPlan::Close)
      .def_prop_ro("notify_fd", &PyRunningPlan::notify_fd)
      .def("schema", &PyRunningPlan::schema);
  m.def(
      "start",
      [](const Stream& s, int queue_batches, int64_t memory_limit, bool allow_spill, int threads, bool ordered) {
        RunningPlanOptions options;
        options.queue_batches = static_cast<size_t>(queue_batches);
        options.memory_limit_bytes = memory_limit;
        options.allow_spill = allow_spill;
        options.threads = threads;
        options.ordered = ordered;
        Result<std::unique_ptr<RunningPlan>> running;
        {
          nb::gil_scoped_release release;  // lowering may call UDFs, which take the GIL
          running = RunningPlan::Start(s.node(), options);
        }
        return std::make_unique<PyRunningPlan>(ValueOrRaise(std::move(running)));
      },
      "stream"_a, "queue_batches"_a = 8, "memory_limit"_a = 0, "allow_spill"_a = true, "threads"_a = 0,
      "ordered"_a = true);
  m.def("active_engine_threads", &RunningPlan::ActiveEngineThreads);
  BindUdfs(m);

  m.def("run_plan_file", [](const std::string& path, int threads) {
    auto plan = ValueOrRaise(ReadPlanFile(path));
    std::atomic<bool> cancel{false};
    RunOptions options;
    options.cancel = &cancel;
    options.threads = threads;
    auto result = RunInterruptibly(cancel, [&] { return RunPlan(*plan, options); });
    return ValueOrRaise(std::move(result)).rows_written;
  }, "path"_a, "threads"_a = 0);
  m.def("explain_plan_file", [](const std::string& path) {
    auto plan = ValueOrRaise(ReadPlanFile(path));
    return ValueOrRaise(ExplainPlan(*plan));
  });
}
