// Which subplans a bounded plan reads more than once are run once and held in memory,
// and which are computed again for each reader.
#pragma once

#include <cstdint>
#include <vector>

#include "sabot/runtime/physical_planner.h"

namespace sabot {

//! Above this estimate of the bytes it keeps, a shared filtered scan is read again by each
//! reader instead of held (see HoldsSharedScan). What is held is the query's memory peak,
//! while re-reading now costs less than it did (the scan tests filters and join keys
//! before decoding the rest): TPC-H Q21 at SF10 on 2 threads held its 38M late lineitems,
//! 1085 MiB resident at peak; re-read, 506 MiB for 7% more CPU time. At SF1 (an estimate
//! of 96 MB) holding still saves 10-18% of its CPU time for 60 MiB.
inline constexpr int64_t kMaxHeldScanBytes = int64_t{256} << 20;

//! The source under `node` when `node` is a scan: a chain of filters, projections,
//! with_columns and renames over one bounded source. Null otherwise.
const PlanNode* ScanSource(const PlanNode& node);

//! Whether a scan (ScanSource) that several parents read runs once and is held, rather
//! than read again by each. Holding saves every further reader the decode of all the
//! source's rows and the predicate over them, and costs the memory of what the scan keeps;
//! re-reading costs no memory. So it is held when it filters (what it keeps is then a part
//! of what each re-read decodes) and at most kMaxHeldScanBytes can be kept: the source's
//! row count (its splits' metadata) times the byte width of the scan's output row, a bound
//! that does not trust a selectivity guess. A scan without a filter (all the rows, each
//! re-read only decodes again) or of unknown or too large a size streams to each reader.
//! `lowered`: `node`'s plan, lowered (its opened sources and schemas).
bool HoldsSharedScan(const PlanNode& node, const LoweredPlan& lowered, int64_t max_bytes = kMaxHeldScanBytes);

//! The subplans `body` reads more than once that are run once and held, inputs first:
//! those that join or aggregate (computed again they would cost a whole plan each time)
//! and the scans HoldsSharedScan holds. Nodes in `done.materialized` and what is below
//! them are not looked at.
std::vector<const PlanNode*> SharedSubplans(const PlanNode& body, const LoweredPlan& lowered,
                                            const LowerOptions& done);

}  // namespace sabot
