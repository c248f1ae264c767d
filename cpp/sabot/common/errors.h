// Error helpers: user errors (bad input) versus broken internal invariants (bugs).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <arrow/result.h>
#include <arrow/status.h>

namespace sabot {

using arrow::Result;
using arrow::Status;

//! Prefixes an error with where it happened ("data.csv: ..."); OK passes through.
inline Status WithContext(const Status& st, std::string_view context) {
  if (st.ok()) return st;
  return st.WithMessage(std::string(context), ": ", st.message());
}

//! Joins names for messages that list what exists ("a, b, c").
std::string JoinNames(const std::vector<std::string>& names, std::string_view sep = ", ");

}  // namespace sabot

// A broken invariant is a bug in Sabot, not the user's fault. It is reported as a
// Status (never an abort) so a job fails cleanly, but the message says it is a bug.
#define SABOT_CHECK(condition)                                                      \
  do {                                                                              \
    if (!(condition)) {                                                             \
      return ::arrow::Status::UnknownError("internal error (a bug in sabot): check '" \
                                           #condition "' failed at ", __FILE__, ":", \
                                           __LINE__);                               \
    }                                                                               \
  } while (false)

// Returns early with the error, prefixed by `context`.
#define SABOT_RETURN_NOT_OK_CTX(expr, context)                          \
  do {                                                                  \
    ::arrow::Status _st = (expr);                                       \
    if (!_st.ok()) return ::sabot::WithContext(_st, (context));         \
  } while (false)
