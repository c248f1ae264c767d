// The keyed exchange: a keyed stateful step (an event-time window, a changelog
// aggregate, a keyed process function) run on several threads, each the only owner of
// the keys of its key groups.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/runtime/execute_plan.h"

namespace sabot {

//! A plan the keyed exchange runs: a source, single-input stateless steps up to `below`,
//! the keyed step `keyed` or its late rows (`keyed_top`), and single-input steps of any
//! kind above `keyed_top` up to the plan's body. A keyed step keeps state per key and
//! nothing across keys, so each owner can run a copy of it over its own keys: a window
//! aggregate with keys, a changelog aggregate (also an aggregate over an endless input),
//! or a keyed process function whose factory allows several instances (see
//! KeyedProcessFactory::runs_in_parallel).
struct KeyedExchangeShape {
  const PlanNode* leaf = nullptr;
  const PlanNode* below = nullptr;  //!< the keyed step's input
  const PlanNode* keyed = nullptr;
  const PlanNode* keyed_top = nullptr;  //!< `keyed`, or the LateRows node over it
  std::vector<std::string> keys;        //!< the keyed step's key columns
  //! The columns of `below` the keyed step reads, the only ones shipped to the owners;
  //! empty: all of them (its output carries input rows).
  std::set<std::string> reads;
};

//! The shape of `body` when it has one and every key column of its keyed step has a type
//! the stable key hash takes (IsStableKeyType); nullopt otherwise.
std::optional<KeyedExchangeShape> FindKeyedExchange(const PlanNode& body, const LoweredPlan& lowered);

//! Splits batches by the owner of each row's key group (HashKeys, KeyGroupOwner over
//! kDefaultKeyGroups): the routing step of the exchange.
class KeyGroupRouter {
 public:
  KeyGroupRouter(std::vector<int> key_columns, int owners) : keys_(std::move(key_columns)), owners_(owners) {}

  //! `per_owner[o]`: the rows of `batch` owner o gets, in their order in `batch` (null
  //! when none).
  Status Route(const std::shared_ptr<arrow::RecordBatch>& batch,
               std::vector<std::shared_ptr<arrow::RecordBatch>>* per_owner);

 private:
  std::vector<int> keys_;
  int owners_;
  std::vector<uint16_t> groups_;  // reused between batches
  std::vector<int32_t> owner_of_;
};

//! Runs `body` as `shape` over `partitions` of its source (at least two) with
//! `options.threads` key owners:
//! - one producer thread per partition group reads its partitions through its own copy
//!   of the steps below the keyed one (the minimum watermark over its partitions), then
//!   sends each row to the owner of the row's key group (KeyGroupRouter) over a bounded
//!   queue (backpressure), and each watermark and its end to every owner;
//! - each owner thread runs its own copy of the keyed step on its rows, with the minimum
//!   watermark over the producers, so every key has one owner and its state needs no
//!   lock; rows of one key from one producer keep their order;
//! - the rest of the plan (above `keyed_top`) runs once, fed by the owners under a lock,
//!   with the minimum watermark over the owners and one end of stream after every owner
//!   finished (the order across keys is not a single thread's).
//! `ExecutorStats::peak_queue_messages` reports the fullest queue. On error or
//! cancellation the sink is aborted.
Result<ExecutorStats> RunKeyedExchange(const PlanNode& body, const KeyedExchangeShape& shape,
                                       const SourceSplits& partitions, LoweredPlan& lowered,
                                       const LowerOptions& lower, const ExecuteOptions& options);

}  // namespace sabot
