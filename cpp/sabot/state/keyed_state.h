// KeyedStateStore: per-key named values, lists and maps, event-time and processing-time
// timers, and each key's last write time (for state TTL), kept per key group so a key
// group's state can later be snapshotted and moved as a whole.
#pragma once

#include <any>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "sabot/state/key_group.h"

namespace sabot {

//! Which clock a timer follows: the watermark, or the wall clock.
enum class TimeDomain : uint8_t { kEventTime, kProcessingTime };

//! One task's keyed state for the key groups of `range` (out of `num_key_groups`); every
//! key_group argument must lie in `range` (the caller routed the key here).
//! Keys are encoded keys (EncodeKeys); values are typed by their user (std::any).
//! A key's state is its named values, lists and maps; timers are kept beside it and do
//! not count as state (num_keys, TTL).
class KeyedStateStore {
 public:
  explicit KeyedStateStore(int num_key_groups = kDefaultKeyGroups, KeyGroupRange range = {});

  int num_key_groups() const { return num_key_groups_; }
  const KeyGroupRange& range() const { return range_; }

  //! The value `name` of `key` in `key_group`; null when unset.
  const std::any* Find(int key_group, const std::string& key, const std::string& name) const;
  void Put(int key_group, const std::string& key, const std::string& name, std::any value);
  //! Unsets `name` of `key`; a key with no state left is removed.
  void Erase(int key_group, const std::string& key, const std::string& name);

  //! The list `name` of `key`, in append order; null when empty.
  const std::vector<std::any>* FindList(int key_group, const std::string& key, const std::string& name) const;
  void Append(int key_group, const std::string& key, const std::string& name, std::any value);
  //! Replaces the whole list (an empty one clears it).
  void PutList(int key_group, const std::string& key, const std::string& name, std::vector<std::any> values);
  void EraseList(int key_group, const std::string& key, const std::string& name);

  //! The map `name` of `key`, ordered by map key; null when empty.
  using StateMap = std::map<std::string, std::any>;
  const StateMap* FindMap(int key_group, const std::string& key, const std::string& name) const;
  void MapPut(int key_group, const std::string& key, const std::string& name, const std::string& map_key,
              std::any value);
  //! False when the map had no `map_key`.
  bool MapErase(int key_group, const std::string& key, const std::string& name, const std::string& map_key);
  void EraseMap(int key_group, const std::string& key, const std::string& name);

  //! Registers a timer for `key` at `time`; false (a no-op) when it was registered already.
  bool RegisterTimer(int key_group, const std::string& key, int64_t time,
                     TimeDomain domain = TimeDomain::kEventTime);
  //! False when there was no such timer.
  bool DeleteTimer(int key_group, const std::string& key, int64_t time, TimeDomain domain = TimeDomain::kEventTime);
  struct Timer {
    int64_t time;
    int key_group;
    std::string key;
  };
  //! Removes and returns the earliest timer of `domain` at or before `now`, if any.
  std::optional<Timer> PopDueTimer(int64_t now, TimeDomain domain = TimeDomain::kEventTime);
  //! The time of the earliest timer of `domain`, if any.
  std::optional<int64_t> NextTimerTime(TimeDomain domain) const;

  //! The time every later write is stamped with (for TTL); it never goes back, so the
  //! stamps of successive writes do not decrease.
  void AdvanceWriteTime(int64_t time) { write_time_ = std::max(write_time_, time); }
  struct Expired {
    int key_group;
    std::string key;
    int timers;  // pending timers (both domains) removed with the state
  };
  //! Removes every key whose state was last written before `cutoff`, with its timers.
  std::vector<Expired> ExpireWrittenBefore(int64_t cutoff);

  //! Keys with state (values, lists or maps), over all key groups.
  int64_t num_keys() const { return num_keys_; }
  int64_t num_timers() const {
    return static_cast<int64_t>(timers_[0].size() + timers_[1].size());
  }
  int64_t num_timers(TimeDomain domain) const { return static_cast<int64_t>(Timers(domain).size()); }
  //! The keys of one key group with state, sorted: what a snapshot of it would hold.
  std::vector<std::string> KeysOf(int key_group) const;

 private:
  struct KeyState {
    std::map<std::string, std::any> values;  // by state name
    std::map<std::string, std::vector<std::any>> lists;
    std::map<std::string, StateMap> maps;
    std::set<int64_t> timers[2];  // by TimeDomain, so TTL finds a key's timers
    int64_t last_write = std::numeric_limits<int64_t>::min();
    bool HasState() const { return !values.empty() || !lists.empty() || !maps.empty(); }
    bool Empty() const { return !HasState() && timers[0].empty() && timers[1].empty(); }
  };
  using Group = std::unordered_map<std::string, KeyState>;
  using TimerSet = std::set<std::tuple<int64_t, int, std::string>>;

  const KeyState* FindKey(int key_group, const std::string& key) const;
  //! The key's entry for a state write: created if missing, stamped, counted.
  KeyState& Write(int key_group, const std::string& key);
  //! Drops the key's entry when nothing is left in it; keeps num_keys_ right.
  void Tidy(int key_group, const std::string& key, bool had_state);
  //! Applies `change` to the key's entry as a state write (Write, then Tidy).
  template <typename Change>
  void Mutate(int key_group, const std::string& key, Change&& change);
  //! Removes the state `name` of one kind (`field`: values, lists or maps) as a write.
  template <typename Field>
  void EraseNamed(int key_group, const std::string& key, const std::string& name, Field field);
  TimerSet& Timers(TimeDomain domain) { return timers_[static_cast<int>(domain)]; }
  const TimerSet& Timers(TimeDomain domain) const { return timers_[static_cast<int>(domain)]; }

  int num_key_groups_;
  KeyGroupRange range_;
  std::vector<Group> groups_;  // by key group - range.begin
  int64_t num_keys_ = 0;
  //! Every timer per domain in (time, key group, key) order, so they fire in time order.
  TimerSet timers_[2];
  int64_t write_time_ = std::numeric_limits<int64_t>::min();
  //! (stamp, key group, key) of writes in stamp order, one entry per key and stamp: TTL
  //! pops from the front instead of scanning every key. Entries whose key was written
  //! again later (or removed) are skipped when popped.
  std::deque<std::tuple<int64_t, int, std::string>> writes_;
};

}  // namespace sabot
