// KeyedStateStore: per-key named values and event-time timers, kept per key group so a
// key group's state can later be snapshotted and moved as a whole.
#pragma once

#include <any>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "sabot/state/key_group.h"

namespace sabot {

//! One task's keyed state for the key groups of `range` (out of `num_key_groups`); every
//! key_group argument must lie in `range` (the caller routed the key here).
//! Keys are encoded keys (EncodeKeys); values are typed by their user (std::any).
class KeyedStateStore {
 public:
  explicit KeyedStateStore(int num_key_groups = kDefaultKeyGroups, KeyGroupRange range = {});

  int num_key_groups() const { return num_key_groups_; }
  const KeyGroupRange& range() const { return range_; }

  //! The value `name` of `key` in `key_group`; null when unset.
  const std::any* Find(int key_group, const std::string& key, const std::string& name) const;
  void Put(int key_group, const std::string& key, const std::string& name, std::any value);
  //! Unsets `name` of `key`; a key with no values left is removed.
  void Erase(int key_group, const std::string& key, const std::string& name);

  //! Registers an event-time timer for `key` at `time`; false (a no-op) when it was
  //! registered already.
  bool RegisterTimer(int key_group, const std::string& key, int64_t time);
  //! False when there was no such timer.
  bool DeleteTimer(int key_group, const std::string& key, int64_t time);
  struct Timer {
    int64_t time;
    int key_group;
    std::string key;
  };
  //! Removes and returns the earliest timer at or before `watermark`, if any.
  std::optional<Timer> PopDueTimer(int64_t watermark);

  //! Keys with at least one value, over all key groups.
  int64_t num_keys() const;
  int64_t num_timers() const { return static_cast<int64_t>(timers_.size()); }
  //! The keys of one key group with values, sorted: what a snapshot of it would hold.
  std::vector<std::string> KeysOf(int key_group) const;

 private:
  using Values = std::map<std::string, std::any>;  // by state name
  std::unordered_map<std::string, Values>& Group(int key_group);

  int num_key_groups_;
  KeyGroupRange range_;
  std::vector<std::unordered_map<std::string, Values>> groups_;  // by key group - range.begin
  //! Every timer in (time, key group, key) order, so they fire in time order.
  std::set<std::tuple<int64_t, int, std::string>> timers_;
};

}  // namespace sabot
