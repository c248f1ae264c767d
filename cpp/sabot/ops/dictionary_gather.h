// GatherClamped: a dictionary column's values from its indices, the loop every
// dictionary-encoded fixed-width Parquet column of a scan runs; LargestIndex: the check of
// indices a scan keeps as indices; DictionaryValuesAt: a dictionary array's values at
// the rows a filter selected (late materialization's decode).
#pragma once

#include <cstdint>
#include <memory>

#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"

namespace sabot {

//! For values of kWidth bytes (4 or 8, the widths defined: integers, dates, floats as
//! their bytes):
//! out[i] = dictionary[min(indices[i], last)] for i < n, or, with `at` (late
//! materialization's rows that passed a filter), dictionary[min(indices[at[i]], last)],
//! the indices read as unsigned (so a negative one counts as large). Returns the largest
//! index so read: the caller fails the read when it is above `last`, and no value read
//! ever lies outside dictionary[0, last]. Without `at`, runs AVX-512 gathers (16 or 8
//! values an instruction) where the CPU has them; else copies value by value.
template <int kWidth>
uint32_t GatherClamped(const int32_t* indices, int64_t n, const void* dictionary, uint32_t last, void* out,
                       const int32_t* at = nullptr);

//! The largest of `n` indices read as unsigned (so that a negative one counts as large),
//! 0 when n is 0: the caller fails the read when it lies outside the dictionary. AVX-512
//! where the CPU has it (SSE2 takes ten instructions per four indices for want of an
//! unsigned maximum).
uint32_t LargestIndex(const int32_t* indices, int64_t n);

//! The values of `column` at the `count` rows at `rows` (increasing or not), or at every
//! row when `rows` is null, as a plain array of its value type. Int32 indices without
//! nulls into 4- or 8-byte values (how a Parquet scan reads dates and numbers as
//! dictionaries) take GatherClamped; any other dictionary array takes Arrow's take.
Result<std::shared_ptr<arrow::Array>> DictionaryValuesAt(const arrow::DictionaryArray& column, const int32_t* rows,
                                                         int64_t count);

}  // namespace sabot
