// Keyed process functions: user code called per key with that key's rows of each batch,
// per-key values, lists and maps, event-time and processing-time timers, and state TTL,
// its state kept per key group.
#pragma once

#include <any>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sabot/exec/operator.h"
#include "sabot/state/keyed_state.h"

namespace sabot {

class KeyedProcessOperator;

//! What a keyed process function sees of the current key, its state and its timers.
//! Every state write stamps the key with the current watermark, which state TTL reads.
class KeyedProcessContext {
 public:
  //! The current key, encoded (EncodeKeys), and its key group.
  const std::string& key() const { return key_; }
  int key_group() const { return key_group_; }
  //! The current key's columns, one row.
  const std::shared_ptr<arrow::RecordBatch>& key_row() const { return key_row_; }
  //! The watermark so far (before any has come: the smallest time).
  EventTime watermark() const { return watermark_; }
  //! The wall clock now, in microseconds since the Unix epoch (the operator's clock).
  int64_t processing_time() const;
  //! In OnTimer: which clock the firing timer follows.
  TimeDomain time_domain() const { return time_domain_; }

  //! The current key's value `name`, if set and of type T.
  template <typename T>
  std::optional<T> Value(const std::string& name) const {
    const std::any* value = store_->Find(key_group_, key_, name);
    if (value == nullptr) return std::nullopt;
    const T* typed = std::any_cast<T>(value);
    return typed ? std::optional<T>(*typed) : std::nullopt;
  }
  template <typename T>
  void SetValue(const std::string& name, T value) {
    store_->Put(key_group_, key_, name, std::any(std::move(value)));
  }
  void ClearValue(const std::string& name) { store_->Erase(key_group_, key_, name); }

  //! The current key's list `name` in append order: its elements of type T (others are
  //! left out); empty when unset.
  template <typename T>
  std::vector<T> List(const std::string& name) const {
    std::vector<T> out;
    if (const auto* list = store_->FindList(key_group_, key_, name)) {
      for (const std::any& element : *list) {
        if (const T* typed = std::any_cast<T>(&element)) out.push_back(*typed);
      }
    }
    return out;
  }
  template <typename T>
  void AppendToList(const std::string& name, T value) {
    store_->Append(key_group_, key_, name, std::any(std::move(value)));
  }
  //! Replaces the whole list; an empty one clears it.
  template <typename T>
  void SetList(const std::string& name, const std::vector<T>& values) {
    store_->PutList(key_group_, key_, name, std::vector<std::any>(values.begin(), values.end()));
  }
  void ClearList(const std::string& name) { store_->EraseList(key_group_, key_, name); }

  //! The current key's map `name`: the value of `map_key`, if set and of type T.
  template <typename T>
  std::optional<T> MapGet(const std::string& name, const std::string& map_key) const {
    const auto* map = store_->FindMap(key_group_, key_, name);
    if (map == nullptr) return std::nullopt;
    auto it = map->find(map_key);
    if (it == map->end()) return std::nullopt;
    const T* typed = std::any_cast<T>(&it->second);
    return typed ? std::optional<T>(*typed) : std::nullopt;
  }
  template <typename T>
  void MapPut(const std::string& name, const std::string& map_key, T value) {
    store_->MapPut(key_group_, key_, name, map_key, std::any(std::move(value)));
  }
  //! False when the map had no `map_key`.
  bool MapErase(const std::string& name, const std::string& map_key) {
    return store_->MapErase(key_group_, key_, name, map_key);
  }
  //! The entries of type T, ordered by map key.
  template <typename T>
  std::vector<std::pair<std::string, T>> MapEntries(const std::string& name) const {
    std::vector<std::pair<std::string, T>> out;
    if (const auto* map = store_->FindMap(key_group_, key_, name)) {
      for (const auto& [map_key, value] : *map) {
        if (const T* typed = std::any_cast<T>(&value)) out.emplace_back(map_key, *typed);
      }
    }
    return out;
  }
  void ClearMap(const std::string& name) { store_->EraseMap(key_group_, key_, name); }

  //! Calls OnTimer(time) for the current key once the watermark reaches `time`.
  void RegisterEventTimeTimer(EventTime time);
  void DeleteEventTimeTimer(EventTime time);
  //! Calls OnTimer(time) for the current key once the operator's clock has passed `time`
  //! (wall-clock microseconds since the Unix epoch); see KeyedProcessOperator for when
  //! the clock is read.
  void RegisterProcessingTimeTimer(int64_t time);
  void DeleteProcessingTimeTimer(int64_t time);

  //! Adds `rows` (the function's output schema) to the output, which leaves after the
  //! message being handled.
  void Emit(std::shared_ptr<arrow::RecordBatch> rows) { out_.push_back(std::move(rows)); }

 private:
  friend class KeyedProcessOperator;
  KeyedStateStore* store_ = nullptr;
  KeyedProcessOperator* op_ = nullptr;
  std::string key_;
  int key_group_ = 0;
  std::shared_ptr<arrow::RecordBatch> key_row_;
  EventTime watermark_ = std::numeric_limits<EventTime>::min();
  TimeDomain time_domain_ = TimeDomain::kEventTime;
  std::vector<std::shared_ptr<arrow::RecordBatch>> out_;
};

//! User code run per key. An instance serves one operator (one thread): its members
//! may cache, but per-key data belongs in the context's state, which is kept per key
//! group.
class KeyedProcessFunction {
 public:
  virtual ~KeyedProcessFunction() = default;
  virtual std::string name() const = 0;
  //! The schema of what the function emits for this input; errors name what is wrong.
  virtual Result<std::shared_ptr<arrow::Schema>> OutputSchema(const arrow::Schema& input) = 0;
  //! All rows of the current key in one input batch, in input order.
  virtual Status ProcessRows(const std::shared_ptr<arrow::RecordBatch>& rows, KeyedProcessContext& context) = 0;
  //! A timer of the current key came due; context.time_domain() says which clock. At the
  //! end of input every pending timer fires, event time first, each domain in time order.
  virtual Status OnTimer(EventTime time, KeyedProcessContext& context) { return Status::OK(); }
};

struct KeyedProcessOptions {
  int num_key_groups = kDefaultKeyGroups;
  //! State TTL in event time; 0 keeps state until the function clears it. A key whose
  //! state (values, lists, maps) was last written while the watermark was W loses that
  //! state and its pending timers once the watermark passes W + state_ttl_us, counted in
  //! expired_keys(). Writes before the first watermark count as written at it. Event
  //! time, not the wall clock, so a job gives the same result however fast it runs and
  //! when it is replayed; a batch run (one final watermark) expires nothing early.
  int64_t state_ttl_us = 0;
  //! The wall clock for processing-time timers, microseconds since the Unix epoch; null
  //! reads the system clock. Tests inject their own.
  std::function<int64_t()> clock;
};

//! Runs a KeyedProcessFunction keyed by `key_columns`. A batch is split by key (first
//! appearance order); a watermark fires the due event-time timers in time order, emits
//! what they emitted, then passes; EndOfStream fires every timer left, then passes.
//!
//! Processing-time timers have no thread of their own: the clock is read whenever a
//! message arrives (batch, watermark, Idle, checkpoint barrier) and every timer it has
//! passed fires, in time order, before the message is handled. An input that sends
//! nothing therefore delays them; a source with an idle timeout sends one Idle message
//! when it goes quiet, which is one more chance, not a periodic tick. At the end of
//! input every pending one fires whatever the clock says.
//!
//! With a state TTL, before each due event-time timer fires, keys already expired at
//! its time are removed (with their timers), so a timer never sees state older than the
//! TTL at its own time; then the watermark's own cutoff applies. EndOfStream fires the
//! remaining timers the same way but expires nothing for its infinite watermark.
class KeyedProcessOperator final : public Operator {
 public:
  KeyedProcessOperator(std::shared_ptr<arrow::Schema> output, std::vector<int> key_columns,
                       std::unique_ptr<KeyedProcessFunction> function, KeyedProcessOptions options);
  std::string_view name() const override { return "KeyedProcess"; }
  Result<Flow> Push(int port, Message message) override;
  //! Keys holding state plus pending timers (both domains).
  int64_t state_rows() const override { return store_.num_keys() + store_.num_timers(); }
  const KeyedStateStore& store() const { return store_; }
  //! Keys whose state TTL removed, so far.
  int64_t expired_keys() const { return expired_keys_; }

 private:
  friend class KeyedProcessContext;
  Status ProcessBatch(const std::shared_ptr<arrow::RecordBatch>& batch);
  Status AdvanceWatermark(EventTime watermark, bool end_of_input);
  Status FireEventTimers(EventTime watermark, bool end_of_input);
  Status FireProcessingTimers(int64_t now);
  Status FireTimer(KeyedStateStore::Timer timer, TimeDomain domain);
  void Expire(EventTime watermark);
  int64_t Now() const { return options_.clock ? options_.clock() : SystemMicros(); }
  static int64_t SystemMicros();
  Result<Flow> EmitOutput();
  void TimerAdded(const std::string& key, const std::shared_ptr<arrow::RecordBatch>& key_row);
  void TimerRemoved(const std::string& key, int timers = 1);

  std::vector<int> key_columns_;
  std::unique_ptr<KeyedProcessFunction> function_;
  KeyedProcessOptions options_;
  KeyedStateStore store_;
  KeyedProcessContext context_;
  //! The first watermark: writes before it were stamped with the smallest time, and
  //! count as written at it.
  std::optional<EventTime> first_watermark_;
  int64_t expired_keys_ = 0;
  //! Key rows of the keys with pending timers, which a timer hands to its function.
  struct TimerKey {
    std::shared_ptr<arrow::RecordBatch> row;
    int timers = 0;
  };
  std::unordered_map<std::string, TimerKey> timer_keys_;
  std::vector<std::string> keys_;  // scratch: the batch's encoded keys
};

//! `keys` name the key columns (at least one). Errors name the column or option at fault.
Result<std::unique_ptr<Operator>> MakeKeyedProcess(const std::shared_ptr<arrow::Schema>& input,
                                                   const std::vector<std::string>& keys,
                                                   std::unique_ptr<KeyedProcessFunction> function,
                                                   KeyedProcessOptions options = {});

}  // namespace sabot
