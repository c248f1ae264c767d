// Resolving a source path (a file, a directory or a glob pattern) into a sorted file list.
#pragma once

#include <string>
#include <vector>

#include "sabot/common/errors.h"

namespace sabot {

//! A single file gives itself; a directory gives its regular files (hidden ones
//! skipped); a pattern with * ? or [ is expanded with glob(3). The result is sorted so
//! source order is stable across runs. Nothing found is an IOError naming the path.
Result<std::vector<std::string>> ResolveFilePaths(const std::string& path);

//! True for an existing file of zero bytes: it holds no rows (and, for CSV, no header).
bool IsEmptyFile(const std::string& path);

}  // namespace sabot
