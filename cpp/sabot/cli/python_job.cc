// Hand-off of Python job files to the Python package.
#include "sabot/cli/python_job.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace sabot::cli {

int RunPythonJob(const std::string& job, int threads, bool ordered) {
  if (threads > 0) setenv("SABOT_THREADS", std::to_string(threads).c_str(), /*overwrite=*/1);
  if (!ordered) setenv("SABOT_UNORDERED", "1", /*overwrite=*/1);
  std::string python = "python3";
#ifdef SABOT_DEFAULT_PYTHON
  python = SABOT_DEFAULT_PYTHON;
  if (access(python.c_str(), X_OK) != 0) python = "python3";
#endif
  if (const char* env = std::getenv("SABOT_PYTHON"); env != nullptr && *env != '\0') python = env;
  std::vector<std::string> args = {python, "-m", "sabot", "run", job};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execvp(python.c_str(), argv.data());
  std::cerr << "sabot: error: cannot start Python (" << python << ") to run " << job << ": "
            << std::strerror(errno) << "; set SABOT_PYTHON to an interpreter with the sabot package" << std::endl;
  return 1;
}

}  // namespace sabot::cli
