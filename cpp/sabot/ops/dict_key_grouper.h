// DictKeyGrouper: groups by key columns of small domains (dictionary-encoded columns,
// booleans, 8- and 16-bit integers) without encoding rows. Each key's values get stable
// ids once per distinct value (per dictionary entry, not per row), a row's ids combine
// into one small code, and a direct array maps codes to group ids. Arrow's general
// Grouper row-encodes every key of every row; for low-cardinality string keys read from
// Parquet as dictionaries (TPC-H Q1's flags) that encoding, plus decoding the strings
// first, was most of the aggregation's cost.
#pragma once

#include <memory>
#include <vector>

#include <arrow/compute/row/grouper.h>

#include "sabot/common/errors.h"

namespace sabot {

//! True when DictKeyGrouper takes every one of `key_types`: dictionaries whose values
//! are strings, binaries, booleans or fixed-width types; booleans; 8- and 16-bit integers.
bool IsDictKeyGroupable(const std::vector<std::shared_ptr<arrow::DataType>>& key_types);

//! A Grouper (same contract as Arrow's) for such keys. Null keys, and dictionary entries
//! that are null, form one group per key, as in SQL. Dictionaries may differ from batch
//! to batch (Parquet row groups each have their own). Group ids stay valid however many
//! values come: past a small domain the codes go through a hash table instead.
//! `decode_dictionaries`: GetUniques gives a dictionary key as its value type (the
//! strings, as if decoded before grouping) instead of the dictionary type, and Consume
//! then takes that value type as well as the dictionary (merging states feeds uniques back).
Result<std::unique_ptr<arrow::compute::Grouper>> MakeDictKeyGrouper(
    std::vector<std::shared_ptr<arrow::DataType>> key_types, bool decode_dictionaries);

}  // namespace sabot
