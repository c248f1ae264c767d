// Python job files (`sabot run job.py`) run in the Python package, which builds its
// plans with the same engine; the CLI hands the job to `python -m sabot run`.
#pragma once

#include <string>

namespace sabot::cli {

//! Replaces this process with `<python> -m sabot run <job>`. The interpreter is
//! $SABOT_PYTHON, else the one the build used, else python3 on PATH. `threads` > 0 is
//! handed on as $SABOT_THREADS, the default of the job's runs, and `ordered` false as
//! $SABOT_UNORDERED=1. Returns only on failure to start it (then an exit code, after
//! printing why).
int RunPythonJob(const std::string& job, int threads, bool ordered = true);

}  // namespace sabot::cli
