// Byte sizes as people write them ("512MB", "1.5G") and as messages print them ("64.0 MiB").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sabot/common/errors.h"

namespace sabot {

//! Parses a size: a number with an optional unit K, M, G or T (binary multiples; "KB",
//! "KiB", "k" are the same), or B / none for bytes. Errors name the text at fault.
Result<int64_t> ParseByteSize(std::string_view text);

//! "512 B", "64.0 KiB", "1.5 GiB".
std::string FormatByteSize(int64_t bytes);

}  // namespace sabot
