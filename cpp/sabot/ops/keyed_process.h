// Keyed process functions: user code called per key with that key's rows of each batch,
// per-key named values and event-time timers, its state kept per key group.
#pragma once

#include <any>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sabot/exec/operator.h"
#include "sabot/state/keyed_state.h"

namespace sabot {

class KeyedProcessOperator;

//! What a keyed process function sees of the current key, its state and its timers.
class KeyedProcessContext {
 public:
  //! The current key, encoded (EncodeKeys), and its key group.
  const std::string& key() const { return key_; }
  int key_group() const { return key_group_; }
  //! The current key's columns, one row.
  const std::shared_ptr<arrow::RecordBatch>& key_row() const { return key_row_; }
  //! The watermark so far (before any has come: the smallest time).
  EventTime watermark() const { return watermark_; }

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

  //! Calls OnTimer(time) for the current key once the watermark reaches `time`.
  void RegisterEventTimeTimer(EventTime time);
  void DeleteEventTimeTimer(EventTime time);

  //! Adds `rows` (the function's output schema) to the output, which leaves after the
  //! batch or watermark being handled.
  void Emit(std::shared_ptr<arrow::RecordBatch> rows) { out_.push_back(std::move(rows)); }

 private:
  friend class KeyedProcessOperator;
  KeyedStateStore* store_ = nullptr;
  KeyedProcessOperator* op_ = nullptr;
  std::string key_;
  int key_group_ = 0;
  std::shared_ptr<arrow::RecordBatch> key_row_;
  EventTime watermark_ = std::numeric_limits<EventTime>::min();
  std::vector<std::shared_ptr<arrow::RecordBatch>> out_;
};

//! User code run per key. An instance serves one operator (one thread): its members
//! may cache, but per-key data belongs in the context's values, which are kept per key
//! group.
class KeyedProcessFunction {
 public:
  virtual ~KeyedProcessFunction() = default;
  virtual std::string name() const = 0;
  //! The schema of what the function emits for this input; errors name what is wrong.
  virtual Result<std::shared_ptr<arrow::Schema>> OutputSchema(const arrow::Schema& input) = 0;
  //! All rows of the current key in one input batch, in input order.
  virtual Status ProcessRows(const std::shared_ptr<arrow::RecordBatch>& rows, KeyedProcessContext& context) = 0;
  //! A timer of the current key: the watermark reached `time`. At the end of input every
  //! pending timer fires, in time order.
  virtual Status OnTimer(EventTime time, KeyedProcessContext& context) { return Status::OK(); }
};

//! Runs a KeyedProcessFunction keyed by `key_columns`. A batch is split by key (first
//! appearance order); a watermark fires the due timers in time order, emits what they
//! emitted, then passes; EndOfStream fires every timer left, then passes.
class KeyedProcessOperator final : public Operator {
 public:
  KeyedProcessOperator(std::shared_ptr<arrow::Schema> output, std::vector<int> key_columns,
                       std::unique_ptr<KeyedProcessFunction> function, int num_key_groups);
  std::string_view name() const override { return "KeyedProcess"; }
  Result<Flow> Push(int port, Message message) override;
  //! Keys holding values plus pending timers.
  int64_t state_rows() const override { return store_.num_keys() + store_.num_timers(); }
  const KeyedStateStore& store() const { return store_; }

 private:
  friend class KeyedProcessContext;
  Status ProcessBatch(const std::shared_ptr<arrow::RecordBatch>& batch);
  Status FireTimers(EventTime watermark);
  Result<Flow> EmitOutput();
  void TimerAdded(const std::string& key, const std::shared_ptr<arrow::RecordBatch>& key_row);
  void TimerRemoved(const std::string& key);

  std::vector<int> key_columns_;
  std::unique_ptr<KeyedProcessFunction> function_;
  KeyedStateStore store_;
  KeyedProcessContext context_;
  //! Key rows of the keys with pending timers, which a timer hands to its function.
  struct TimerKey {
    std::shared_ptr<arrow::RecordBatch> row;
    int timers = 0;
  };
  std::unordered_map<std::string, TimerKey> timer_keys_;
  std::vector<std::string> keys_;  // scratch: the batch's encoded keys
};

//! `keys` name the key columns (at least one). Errors name the column at fault.
Result<std::unique_ptr<Operator>> MakeKeyedProcess(const std::shared_ptr<arrow::Schema>& input,
                                                   const std::vector<std::string>& keys,
                                                   std::unique_ptr<KeyedProcessFunction> function,
                                                   int num_key_groups = kDefaultKeyGroups);

}  // namespace sabot
