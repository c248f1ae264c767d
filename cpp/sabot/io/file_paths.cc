// Resolving a source path (a file, a directory or a glob pattern) into a sorted file list.
#include "sabot/io/file_paths.h"

#include <glob.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace sabot {
namespace {

bool IsGlobPattern(const std::string& path) {
  return path.find_first_of("*?[") != std::string::npos;
}

bool IsHidden(const std::filesystem::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

Result<std::vector<std::string>> ExpandGlob(const std::string& pattern) {
  glob_t g{};
  const int rc = ::glob(pattern.c_str(), GLOB_ERR, nullptr, &g);
  std::vector<std::string> out;
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      std::error_code ec;
      // A pattern may also match directories; only files hold rows.
      if (std::filesystem::is_regular_file(g.gl_pathv[i], ec)) out.emplace_back(g.gl_pathv[i]);
    }
  }
  ::globfree(&g);
  if (rc != 0 && rc != GLOB_NOMATCH) {
    return Status::IOError("cannot expand glob '", pattern, "' (glob error ", rc, ")");
  }
  if (out.empty()) return Status::IOError("no files match '", pattern, "'");
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Result<std::vector<std::string>> ResolveFilePaths(const std::string& path) {
  if (path.empty()) return Status::Invalid("source path is empty");
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (std::filesystem::is_regular_file(status)) return std::vector<std::string>{path};
  if (std::filesystem::is_directory(status)) {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
      if (IsHidden(entry.path())) continue;
      std::error_code fec;
      if (entry.is_regular_file(fec)) out.push_back(entry.path().string());
    }
    if (ec) return Status::IOError("cannot list directory ", path, ": ", ec.message());
    if (out.empty()) return Status::IOError("directory has no files: ", path);
    std::sort(out.begin(), out.end());
    return out;
  }
  if (std::filesystem::exists(status)) {
    return Status::IOError("not a regular file or directory: ", path);
  }
  if (IsGlobPattern(path)) return ExpandGlob(path);
  return Status::IOError("file not found: ", path);
}

bool IsEmptyFile(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return !ec && size == 0;
}

}  // namespace sabot
