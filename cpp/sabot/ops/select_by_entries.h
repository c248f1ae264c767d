// SelectByEntries: the rows a filter keeps where the columns it tests come as dictionary
// indices and each conjunct was evaluated once per dictionary entry (a Parquet scan's
// dates, quantities and discounts; see FilterPredicate::Select).
#pragma once

#include <cstddef>
#include <cstdint>

namespace sabot {

//! Zero bytes a truth table holds past its last entry, so that a 4-byte gather at any
//! entry stays inside it.
inline constexpr size_t kTruthPadding = 3;

//! One column's test: per dictionary entry 1 where its conjuncts hold, else 0, followed
//! by kTruthPadding zero bytes; per row its entry's index, each inside the dictionary.
struct EntryTest {
  const uint8_t* truth;
  const int32_t* index;
};

//! Writes to `rows`, which has room for n + 16 values, each row below `n` where
//! keep[row] != 0 (unless `keep` is null) and every one of the `count` tests (1 to 3)
//! holds at the row's entry, in increasing order; returns how many. Runs 16 rows at a
//! time with AVX-512 gathers where the CPU has them (chosen at run time), else row by
//! row without a branch.
size_t SelectByEntries(int64_t n, const uint8_t* keep, const EntryTest* tests, int count, int32_t* rows);

}  // namespace sabot
