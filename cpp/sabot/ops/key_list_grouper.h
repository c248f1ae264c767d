// KeyListGrouper: a Grouper over a list of distinct keys, each key's group id its place
// in the list, that builds a hash table only once a row must be mapped.
//
// A parallel aggregation splits every partial state by key hash into one part per merge
// lane (HashAggregateState::SplitByKeyHash), and a lane only reads a part's keys to feed
// its own table. Inserting each part's keys into a table of its own was a third hash
// insert of every group (TPC-H Q18 at SF10: 15M groups, 16 tables per split on 16
// threads) for a table nothing probed.
#pragma once

#include <functional>
#include <memory>

#include <arrow/compute/exec.h>
#include <arrow/compute/row/grouper.h>

#include "sabot/common/errors.h"

namespace sabot {

//! Makes the empty Grouper a KeyListGrouper turns into once rows must be mapped; it must
//! take the list's keys as GetUniques gives them and number new keys in order.
using GrouperFactory = std::function<Result<std::unique_ptr<arrow::compute::Grouper>>()>;

//! `keys`: distinct keys (one value per key column, `keys.length` rows): group g has the
//! key of row g. GetUniques and num_groups read the list; Consume, Lookup and Populate
//! first feed the list through a Grouper from `make_table` (group g keeps its id), then
//! go to it; Reset leaves that Grouper empty.
std::unique_ptr<arrow::compute::Grouper> MakeKeyListGrouper(arrow::compute::ExecBatch keys,
                                                            GrouperFactory make_table);

}  // namespace sabot
