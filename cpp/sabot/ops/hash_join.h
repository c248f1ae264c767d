// Hash join: builds a hash table from input port 1 (right), probes it with the batches of
// input port 0 (left); inner, left, right, full, semi, anti, right semi and right anti joins.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "sabot/exec/memory_budget.h"
#include "sabot/exec/operator.h"
#include "sabot/exec/spill_file.h"
#include "sabot/expr/bind.h"
#include "sabot/ops/join_build_matches.h"
#include "sabot/ops/join_hash_table.h"
#include "sabot/ops/join_layout.h"

namespace sabot {

//! What a build side of `rows` rows holding `value_bytes` of values is accounted as: the
//! values plus the hash table's slot, row list entry, hash, normalized key word and its
//! copy in chain order per row. (The key filter, 2 to 4 bytes a distinct key, fits in what
//! the hashes took before the build freed them.)
inline int64_t JoinBuildMemory(int64_t value_bytes, int64_t rows) { return value_bytes + 40 * rows; }

//! Output batches never exceed this many rows.
inline constexpr int64_t kHashJoinMaxBatchRows = 64 * 1024;

//! Joins whose probes mark the build rows they match in a JoinBuildMatches, for the
//! build rows emitted at the end: right, full, right semi and right anti.
inline bool MarksBuildMatches(JoinType t) { return KeepsUnmatchedRight(t) || OutputsRightOnly(t); }

//! One thread's hash join. The build side is consumed until its EndOfStream; left batches
//! that arrive before are buffered and probed once the table is built, later ones as
//! they arrive. Matching follows SQL: a null key never matches, and with a residual a
//! pair matches only where the residual is true. Right and full joins emit the unmatched
//! build rows after both inputs ended, then EndOfStream; right semi and right anti joins
//! emit nothing while probing, only the matched (semi) or unmatched (anti) build rows
//! then, each once.
//!
//! Under a memory budget the build rows and the left rows buffered before the build
//! ended are accounted; when they would pass it, the join becomes a grace hash join:
//! both sides are partitioned by key hash into 16 spill files each (equal keys, on either
//! side, land in the same partition; null keys in partition 0), and after both inputs
//! ended each partition is joined on its own, repartitioned further when its build rows
//! still do not fit. Every join type stays exact: a row's matches all live in its
//! partition. Output order then follows the partitions.
//!
//! Parallel plans: the build side is read to its end first and finished once into a
//! JoinBuildSide; every worker's probe-only copy (MakeHashJoinProbe) shares it, read-only.
//! Joins that mark build matches (MarksBuildMatches) share its JoinBuildMatches too: every
//! copy marks the build rows it matched there, and the first copy to see the EndOfStream
//! of its probe input emits the rows no copy matched (right semi: some copy matched). The executor sends that EndOfStream once every copy is done.
class HashJoinOperator final : public Operator {
 public:
  //! Use MakeHashJoin, which checks the spec and binds the residual.
  HashJoinOperator(JoinSpec spec, JoinLayout layout, std::shared_ptr<arrow::Schema> left,
                   std::shared_ptr<arrow::Schema> right, std::optional<BoundExpr> residual,
                   std::shared_ptr<MemoryBudget> budget = nullptr);

  std::string_view name() const override { return "HashJoin"; }
  int num_inputs() const override { return 2; }
  Result<Flow> Push(int port, Message message) override;
  //! The build side's rows and the probe rows held until the build side ends.
  int64_t state_rows() const override { return builder_.num_rows() + pending_left_rows_; }

  //! Probes `table` instead of building one: input port 1 counts as ended, and only
  //! port 0 is fed. Joins that mark build matches (MarksBuildMatches) record them in
  //! `matched`, shared by every copy probing `table` (see the class comment); other joins
  //! pass null.
  Status UseBuildSide(std::shared_ptr<const JoinHashTable> table, std::shared_ptr<JoinBuildMatches> matched);

 private:
  static constexpr int kLeft = 0;
  static constexpr int kRight = 1;

  //! A column of the residual's input: which side it comes from and its index there.
  struct ResidualColumn {
    bool from_left;
    int index;
  };

  Result<Flow> Forward(Message message);
  Result<Flow> AdvanceWatermark();
  Result<Flow> EndInput(int port);
  Status FinishBuild(JoinHashTableBuilder& builder);
  //! Accounts a batch kept as input state (a build batch or a buffered left batch);
  //! starts spilling when it does not fit.
  Status Account(int port, const arrow::RecordBatch& batch);
  Status StartSpilling();
  Status SpillBatch(int port, const std::shared_ptr<arrow::RecordBatch>& batch);
  //! After both inputs ended: joins the spilled partitions one by one.
  Result<Flow> JoinSpilledPartitions();
  //! Joins one partition's rows; `level` is the hash level to repartition it with.
  Result<Flow> JoinPartition(std::unique_ptr<SpillFile> build, std::unique_ptr<SpillFile> probe, int level);
  Result<Flow> ProbeBatch(const std::shared_ptr<arrow::RecordBatch>& batch);
  //! Applies the residual to the pairs in matches_, records which rows matched, and emits
  //! the joined rows (not for semi/anti).
  Result<Flow> FlushMatches(const arrow::RecordBatch& batch);
  Status ApplyResidual(const arrow::RecordBatch& batch);
  //! Emits left rows `rows` of `batch` in bounded batches, with null right columns unless
  //! the output has the left columns only.
  Result<Flow> EmitLeftRows(const std::shared_ptr<arrow::RecordBatch>& batch, const std::vector<uint32_t>& rows);
  //! The build rows a right or full join (unmatched, with null left columns), right semi
  //! (matched) or right anti join (unmatched) emits at the end, in bounded batches.
  Result<Flow> EmitBuildRows();
  Result<std::shared_ptr<arrow::Array>> TakeLeft(const arrow::RecordBatch& batch, int column,
                                                 const uint32_t* rows, int64_t n) const;
  Result<std::shared_ptr<arrow::Array>> TakeRight(int column, const uint32_t* rows, int64_t n) const;

  JoinSpec spec_;
  JoinLayout layout_;
  std::shared_ptr<arrow::Schema> left_schema_, right_schema_;
  std::optional<BoundExpr> residual_;  // bound to residual_schema_, a subset of the joined columns
  std::shared_ptr<arrow::Schema> residual_schema_;
  std::vector<ResidualColumn> residual_columns_;

  JoinHashTableBuilder builder_;
  std::shared_ptr<const JoinHashTable> table_;  // set when the build side ended
  std::vector<std::shared_ptr<arrow::RecordBatch>> pending_left_;  // left batches before table_
  int64_t pending_left_rows_ = 0;
  std::shared_ptr<JoinBuildMatches> build_matched_;  // MarksBuildMatches: build rows that found a match

  // Per probe batch, reused.
  JoinMatches matches_{kHashJoinMaxBatchRows};
  std::vector<uint32_t> heads_, ends_;  // each probe row's chain (JoinHashTable::FindChains)
  std::vector<uint8_t> probe_matched_;
  // Probe rows the table's key filter saw and let through: it is used while it rules out
  // at least half of them (a probe whose rows mostly match pays for it in vain).
  bool use_filter_ = true;
  int64_t filter_checked_ = 0, filter_passed_ = 0;

  EventTime watermarks_[2];  // per input; kMaxWatermark once it ended
  EventTime emitted_watermark_;
  bool ended_[2] = {false, false};
  std::map<int64_t, int> barrier_arrivals_;  // checkpoint id -> inputs that delivered it
  bool stopped_ = false;                     // downstream wants nothing more

  MemoryReservation reservation_;
  int64_t state_bytes_ = 0;  // build rows and buffered left rows, as accounted
  std::unique_ptr<SpilledPartitions> spilled_[2];  // per input; set once spilling
};

//! Checks `spec` against the inputs (see ResolveJoin) and binds the residual to the
//! joined columns; it must be boolean. Port 0 is the left (probe) input, port 1 the right
//! (build) input. Output: left columns, then right columns (suffixed on clash; nullable
//! on the side that may be missing); semi/anti output the left columns only, right
//! semi/anti the right columns only (unsuffixed); of those,
//! only spec.output_columns where set (the others are not gathered).
//! `budget`: the job's memory budget; null is unlimited.
Result<std::unique_ptr<Operator>> MakeHashJoin(const std::shared_ptr<arrow::Schema>& left,
                                               const std::shared_ptr<arrow::Schema>& right,
                                               const JoinSpec& spec, std::shared_ptr<MemoryBudget> budget = nullptr);

//! A join's build side finished once from all its rows, shared read-only by every
//! probing copy of the join in a parallel plan.
struct JoinBuildSide {
  std::shared_ptr<arrow::Schema> schema;  //!< the right input's
  std::shared_ptr<const JoinHashTable> table;
  //! MarksBuildMatches joins: the build rows the probing copies matched (null otherwise).
  //! One run's: a side probed again needs fresh flags.
  std::shared_ptr<JoinBuildMatches> matched;
  int64_t memory_bytes = 0;  //!< as JoinBuildMemory accounts it
};

//! Builds the table of `spec`'s join over `right_batches`, the whole right input, on up to
//! `threads` threads.
Result<JoinBuildSide> BuildJoinSide(const std::shared_ptr<arrow::Schema>& left,
                                    const std::shared_ptr<arrow::Schema>& right, const JoinSpec& spec,
                                    const std::vector<std::shared_ptr<arrow::RecordBatch>>& right_batches,
                                    int threads = 1);

//! A probe-only copy of the join over a finished build side: one input (port 0, the
//! left rows), the output of MakeHashJoin. For MarksBuildMatches joins, the EndOfStream
//! of the first copy to get one emits the build rows of the end: it must come after
//! every copy probed all its rows.
Result<std::unique_ptr<Operator>> MakeHashJoinProbe(const std::shared_ptr<arrow::Schema>& left,
                                                    const JoinSpec& spec, const JoinBuildSide& build);

}  // namespace sabot
