// Building and probing the hash join table with tight loops over raw buffers.
#include "sabot/ops/join_hash_table.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <utility>

#include <arrow/array/concatenate.h>
#include <arrow/array/util.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>

namespace sabot {

namespace {

// Rows looked ahead when prefetching slots: enough to cover a cache miss, few enough to
// stay in L1.
constexpr int64_t kPrefetchDistance = 16;

inline uint32_t Tag(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }

}  // namespace

Status JoinHashTableBuilder::Append(const std::shared_ptr<arrow::RecordBatch>& batch) {
  SABOT_CHECK(batch->num_columns() == schema_->num_fields());
  if (batch->num_rows() == 0) return Status::OK();
  num_rows_ += batch->num_rows();
  batches_.push_back(batch);
  return Status::OK();
}

std::vector<std::shared_ptr<arrow::RecordBatch>> JoinHashTableBuilder::TakeBatches() {
  num_rows_ = 0;
  return std::exchange(batches_, {});
}

void JoinHashTableBuilder::Merge(JoinHashTableBuilder&& other) {
  num_rows_ += other.num_rows_;
  for (auto& b : other.batches_) batches_.push_back(std::move(b));
  other.batches_.clear();
  other.num_rows_ = 0;
}

Result<std::shared_ptr<const JoinHashTable>> JoinHashTableBuilder::Finish(bool distinct_keys, int threads) {
  if (num_rows_ >= JoinHashTable::kNoRow) {
    return Status::CapacityError("hash join build side has ", num_rows_, " rows; at most ",
                                 JoinHashTable::kNoRow - 1, " are supported per table (partition the build)");
  }
  auto table = std::shared_ptr<JoinHashTable>(new JoinHashTable());
  table->num_rows_ = num_rows_;
  for (int c = 0; c < schema_->num_fields(); ++c) {
    if (batches_.empty()) {
      ARROW_ASSIGN_OR_RAISE(auto empty, arrow::MakeEmptyArray(schema_->field(c)->type()));
      table->columns_.push_back(std::move(empty));
    } else if (batches_.size() == 1) {
      table->columns_.push_back(batches_.front()->column(c));
    } else {
      arrow::ArrayVector chunks;
      for (const auto& b : batches_) chunks.push_back(b->column(c));
      ARROW_ASSIGN_OR_RAISE(auto combined, arrow::Concatenate(chunks));
      table->columns_.push_back(std::move(combined));
    }
  }
  batches_.clear();  // the concatenated columns hold the rows now

  std::vector<std::shared_ptr<arrow::Array>> key_columns;
  for (int k : key_indices_) key_columns.push_back(table->columns_[k]);
  ARROW_ASSIGN_OR_RAISE(auto keys, JoinKeys::Make(key_columns));
  table->keys_ = std::make_unique<JoinKeys>(std::move(keys));
  // One integer-like key: duplicates are dropped while inserting, by one compare with
  // the chain head; other keys are compared in bulk afterwards.
  const auto& key_cols = table->keys_->columns();
  const bool word_key = key_cols.size() == 1 && key_cols[0].layout() == JoinKeyColumn::Layout::kWord64;
  table->Insert(*table->keys_, distinct_keys && word_key, threads);
  if (distinct_keys && !word_key) table->DropDuplicateKeys();
  return std::shared_ptr<const JoinHashTable>(std::move(table));
}

void JoinHashTable::Insert(const JoinKeys& keys, bool drop_duplicate_words, int threads) {
  const int64_t n = keys.num_rows();
  // Load factor at most 1/2 keeps linear probing sequences short.
  uint64_t capacity = 16;
  while (capacity < 2 * static_cast<uint64_t>(n)) capacity *= 2;
  // A large build inserts on several threads: the top bits of the hash pick one of 64
  // regions of the slots, probing wraps inside its region, and each thread owns every
  // region r with r % threads == t. So no two threads touch the same slot or row, and
  // each still goes through the rows backwards, keeping chains in build order.
  const int region_bits = threads > 1 && n >= kParallelInsertRows ? 6 : 0;
  const int workers = region_bits > 0 ? threads : 1;
  num_slots_ = capacity;
  region_shift_ = 63 - region_bits;
  region_mask_ = (capacity >> region_bits) - 1;
  // Not zeroed here: each worker first touches its own regions (and rows' links).
  slots_.reset(new Slot[capacity]);
  next_.reset(new uint32_t[std::max<int64_t>(n, 1)]);
  std::atomic<bool> overflow{false};
  auto insert = [&](int worker) {
    const uint64_t regions = uint64_t{1} << region_bits;
    const uint64_t region_size = region_mask_ + 1;
    for (uint64_t r = static_cast<uint64_t>(worker); r < regions; r += static_cast<uint64_t>(workers)) {
      std::fill(slots_.get() + r * region_size, slots_.get() + (r + 1) * region_size, Slot{0, kNoRow});
    }
    const uint64_t* hashes = keys.hashes();
    const uint64_t* words = drop_duplicate_words ? keys.columns()[0].words() : nullptr;
    auto mine = [&](uint64_t hash) { return static_cast<int>(Region(hash) % static_cast<uint64_t>(workers)) == worker; };
    for (int64_t i = n - 1; i >= 0; --i) {
      if (i >= kPrefetchDistance && mine(hashes[i - kPrefetchDistance])) {
        __builtin_prefetch(&slots_[Home(hashes[i - kPrefetchDistance])]);
      }
      if (!mine(hashes[i])) continue;
      next_[i] = kNoRow;
      if (!keys.valid(i)) continue;  // a null key never matches
      const uint32_t tag = Tag(hashes[i]);
      uint64_t s = Home(hashes[i]);
      for (uint64_t probes = 0;; ++probes) {
        if (probes == region_size) {  // a full region: only a freak hash spread does this
          overflow = true;
          return;
        }
        Slot& slot = slots_[s];
        if (slot.row == kNoRow) {
          slot = Slot{tag, static_cast<uint32_t>(i)};
          break;
        }
        if (slot.tag == tag) {
          // The head is a later row with the same key: row i takes its place, so the
          // first row of each key is the one kept, and the head's chain stays.
          next_[i] = words != nullptr && words[i] == words[slot.row] ? next_[slot.row] : slot.row;
          slot.row = static_cast<uint32_t>(i);
          break;
        }
        s = NextSlot(s);
      }
    }
  };
  std::vector<std::thread> helpers;
  for (int w = 1; w < workers; ++w) helpers.emplace_back(insert, w);
  insert(0);
  for (auto& helper : helpers) helper.join();
  if (overflow) Insert(keys, drop_duplicate_words, /*threads=*/1);  // one region cannot fill up
}

void JoinHashTable::DropDuplicateKeys() {
  // Compare every chain member with its head in bulk, then relink without the equal ones.
  // Members that differ from the head (a hash collision) stay, so nothing is lost.
  std::vector<uint32_t> heads, members;
  for (uint64_t s = 0; s < num_slots_; ++s) {
    const Slot& slot = slots_[s];
    if (slot.row == kNoRow) continue;
    for (uint32_t r = next_[slot.row]; r != kNoRow; r = next_[r]) {
      heads.push_back(slot.row);
      members.push_back(r);
    }
  }
  if (members.empty()) return;
  std::vector<uint8_t> equal(members.size(), 1);
  MatchJoinKeys(*keys_, heads.data(), *keys_, members.data(), static_cast<int64_t>(members.size()), equal.data());
  std::vector<uint8_t> drop(num_rows_, 0);
  for (size_t i = 0; i < members.size(); ++i) drop[members[i]] = equal[i];
  for (uint64_t s = 0; s < num_slots_; ++s) {
    const Slot& slot = slots_[s];
    if (slot.row == kNoRow) continue;
    uint32_t kept = slot.row;
    for (uint32_t r = next_[slot.row]; r != kNoRow; r = next_[r]) {
      if (drop[r]) continue;
      next_[kept] = r;
      kept = r;
    }
    next_[kept] = kNoRow;
  }
}

void JoinHashTable::FindChains(const JoinKeys& probe, int64_t begin, int64_t end, uint32_t* heads) const {
  const uint64_t* hashes = probe.hashes();
  const Slot* slots = slots_.get();
  // Single 64-bit keys are compared by Probe right after; fetch them with the links.
  const uint64_t* build_words = keys_->columns().size() == 1 &&
                                        keys_->columns()[0].layout() == JoinKeyColumn::Layout::kWord64
                                    ? keys_->columns()[0].words()
                                    : nullptr;
  for (int64_t i = begin; i < end; ++i) {
    if (i + kPrefetchDistance < end) __builtin_prefetch(&slots[Home(hashes[i + kPrefetchDistance])]);
    uint32_t head = kNoRow;
    if (probe.valid(i)) {
      const uint32_t tag = Tag(hashes[i]);
      for (uint64_t s = Home(hashes[i]);; s = NextSlot(s)) {
        const Slot& slot = slots[s];
        if (slot.row == kNoRow) break;
        if (slot.tag == tag) {
          head = slot.row;
          __builtin_prefetch(&next_[head]);
          if (build_words != nullptr) __builtin_prefetch(&build_words[head]);
          break;
        }
      }
    }
    heads[i] = head;
  }
}

bool JoinHashTable::Probe(const JoinKeys& probe, const uint32_t* heads, int64_t end_row, ProbeCursor* cursor,
                          JoinMatches* out) const {
  const int64_t n = end_row;
  const int64_t capacity = out->capacity();
  uint32_t* probe_rows = out->probe_rows.data();
  uint32_t* build_rows = out->build_rows.data();
  const uint32_t* next = next_.get();
  int64_t row = cursor->row;
  uint32_t b = cursor->next;

  // One integer-like key column, the common case: compare while walking the chains.
  const auto& columns = probe.columns();
  if (columns.size() == 1 && columns[0].layout() == JoinKeyColumn::Layout::kWord64) {
    const uint64_t* pw = columns[0].words();
    const uint64_t* bw = keys_->columns()[0].words();
    int64_t end = out->size;
    while (end < capacity && row < n) {
      if (b == kNoRow) {
        if (++row < n) b = heads[row];
        continue;
      }
      probe_rows[end] = static_cast<uint32_t>(row);
      build_rows[end] = b;
      end += static_cast<int64_t>(pw[row] == bw[b]);
      b = next[b];
    }
    out->size = end;
    *cursor = ProbeCursor{row, b};
    return row >= n;
  }

  // Otherwise: expand candidates in bulk, compare them column by column, compact.
  while (out->size < capacity && row < n) {
    const int64_t begin = out->size;
    int64_t end = begin;
    while (end < capacity && row < n) {
      if (b == kNoRow) {
        if (++row < n) b = heads[row];
        continue;
      }
      probe_rows[end] = static_cast<uint32_t>(row);
      build_rows[end] = b;
      ++end;
      b = next[b];
    }
    uint8_t* match = out->scratch.data();
    std::fill(match, match + (end - begin), uint8_t{1});
    MatchJoinKeys(probe, probe_rows + begin, *keys_, build_rows + begin, end - begin, match);
    int64_t kept = begin;
    for (int64_t i = begin; i < end; ++i) {
      probe_rows[kept] = probe_rows[i];
      build_rows[kept] = build_rows[i];
      kept += match[i - begin];
    }
    out->size = kept;
  }
  *cursor = ProbeCursor{row, b};
  return row >= n;
}

}  // namespace sabot
