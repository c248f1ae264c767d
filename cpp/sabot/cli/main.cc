// The `sabot` command line: run and explain jobs.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string_view>

#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include <CLI/CLI.hpp>
#include <arrow/config.h>

#include "sabot/common/byte_size.h"
#include "sabot/cli/python_job.h"
#include "sabot/plan/plan_json.h"
#include "sabot/runtime/run.h"

namespace {

std::atomic<bool> g_cancel{false};

extern "C" void OnInterrupt(int) { g_cancel.store(true); }

int Fail(const arrow::Status& status) {
  std::cerr << "sabot: error: " << status.message() << std::endl;
  return status.IsCancelled() ? 130 : 1;
}

// Arrow's allocator (mimalloc 3) asks for transparent huge pages on its arenas, and each
// worker thread's pages then make whole 2 MiB pages resident (see python/sabot/__init__.py,
// which sets MIMALLOC_ALLOW_THP=0 before Arrow loads). The Arrow library is loaded before
// main, too late for that variable, so the CLI turns huge pages off for its process (and
// the Python job it may become) unless the user set MIMALLOC_ALLOW_THP to something else.
void KeepOffHugePages() {
#if defined(__linux__) && defined(PR_SET_THP_DISABLE)
  const char* allow = std::getenv("MIMALLOC_ALLOW_THP");
  if (allow != nullptr && std::string_view(allow) != "0") return;
  (void)prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);  // best effort: memory use, not results
#endif
}

bool IsPythonJob(const std::string& path) { return std::filesystem::path(path).extension() == ".py"; }

// A job is a plan file; Python job files are handed to the Python package (see Run).
arrow::Result<sabot::PlanPtr> LoadJob(const std::string& path) {
  if (IsPythonJob(path)) {
    return arrow::Status::Invalid(path, ": a Python job builds its plan when it runs; use `sabot run ", path,
                                  "` to run it, or explain a .json plan file");
  }
  return sabot::ReadPlanFile(path);
}

struct RunFlags {
  std::string job;
  bool stats = false;
  std::string memory_limit;  // empty: unlimited
  bool no_spill = false;
  std::string spill_dir;
  int threads = 0;  // one per core
  bool unordered = false;
};

int Run(const RunFlags& flags) {
  sabot::RunOptions options;
  if (!flags.memory_limit.empty()) {
    auto limit = sabot::ParseByteSize(flags.memory_limit);
    if (!limit.ok()) return Fail(limit.status().WithMessage("--memory-limit: ", limit.status().message()));
    if (*limit == 0) return Fail(arrow::Status::Invalid("--memory-limit: must be more than 0"));
    options.memory_limit_bytes = *limit;
  }
  options.allow_spill = !flags.no_spill;
  options.spill_directory = flags.spill_dir;
  options.threads = flags.threads;
  options.ordered = !flags.unordered;
  const std::string& job = flags.job;
  const bool stats = flags.stats;
  if (IsPythonJob(job)) return sabot::cli::RunPythonJob(job, flags.threads, !flags.unordered);
  auto plan = LoadJob(job);
  if (!plan.ok()) return Fail(plan.status());
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  options.cancel = &g_cancel;
  auto result = sabot::RunPlan(**plan, options);
  if (!result.ok()) return Fail(result.status());
  if (stats) {
    const auto& s = result->stats;
    double seconds = std::chrono::duration<double>(s.wall).count();
    std::cerr << "sabot: read " << s.source_rows << " rows in " << s.source_batches << " batches from "
              << s.splits << " splits; wrote " << result->rows_written << " rows; " << seconds << " s ("
              << (seconds > 0 ? static_cast<int64_t>(s.source_rows / seconds) : 0) << " rows/s) on " << s.threads
              << (s.threads == 1 ? " thread" : " threads") << std::endl;
    std::cerr << "sabot: state memory peak " << sabot::FormatByteSize(result->peak_memory);
    if (result->spill_files > 0) {
      std::cerr << "; spilled " << sabot::FormatByteSize(result->spilled_bytes) << " in " << result->spill_files
                << " files";
    }
    std::cerr << std::endl
              << sabot::FormatOperatorStats(result->operators)
              << sabot::FormatStageStats(result->stats.stages, result->stats.wall);
  }
  return 0;
}

int Explain(const std::string& job) {
  auto plan = LoadJob(job);
  if (!plan.ok()) return Fail(plan.status());
  auto text = sabot::ExplainPlan(**plan);
  if (!text.ok()) return Fail(text.status());
  std::cout << *text;
  return 0;
}

int Main(int argc, char** argv) {
  CLI::App app{"Sabot: one engine for batch and streaming data, on Apache Arrow."};
  app.set_version_flag("--version", std::string("sabot ") + SABOT_VERSION + " (arrow " +
                                        arrow::GetBuildInfo().version_string + ")");
  app.require_subcommand(1);

  RunFlags run_flags;
  auto* run = app.add_subcommand("run", "Run a job (a .json plan file) to completion");
  run->add_option("job", run_flags.job, "the job file")->required();
  run->add_flag("--stats", run_flags.stats,
                "print rows, batches, time, threads and spilling to stderr, then each step's rows, "
                "batches and own time");
  run->add_option("--memory-limit", run_flags.memory_limit,
                  "memory the job's joins, aggregations and sorts may hold, e.g. 512MB or 2G; past it "
                  "they spill to disk");
  run->add_flag("--no-spill", run_flags.no_spill, "fail instead of spilling when the memory limit is reached");
  run->add_option("--spill-dir", run_flags.spill_dir, "where spill files go (default: the temporary folder)");
  run->add_option("--threads", run_flags.threads,
                  "worker threads (default: one per core); scans, filters, projections, join probes "
                  "and partial aggregations run on them, with the output in the same order as on one")
      ->check(CLI::PositiveNumber);
  run->add_flag("--unordered", run_flags.unordered,
                "the output need not keep the source's row order: each morsel's rows are written as "
                "soon as they are ready (sorted and aggregated results are unaffected)");

  std::string explain_job;
  auto* explain = app.add_subcommand("explain", "Print a job's plan with each step's output columns");
  explain->add_option("job", explain_job, "the job file")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (*run) return Run(run_flags);
  return Explain(explain_job);
}

}  // namespace

int main(int argc, char** argv) {
  KeepOffHugePages();
  const int code = Main(argc, argv);
  // Everything the job wrote is committed by now; only static destructors remain. Those
  // of Arrow's global thread pools can deadlock or crash at exit when a reader stopped
  // early (a limit) still has read-ahead running on them, so skip them.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(code);
}
