// KeyedStateStore: hash maps of per-key state per key group, ordered timer sets, and a
// queue of write stamps for TTL.
#include "sabot/state/keyed_state.h"

#include <algorithm>

namespace sabot {

KeyedStateStore::KeyedStateStore(int num_key_groups, KeyGroupRange range)
    : num_key_groups_(num_key_groups), range_(range) {
  range_.end = std::min(range_.end, num_key_groups_);
  groups_.resize(static_cast<size_t>(std::max(0, range_.end - range_.begin)));
}

const KeyedStateStore::KeyState* KeyedStateStore::FindKey(int key_group, const std::string& key) const {
  const auto& group = groups_[static_cast<size_t>(key_group - range_.begin)];
  auto it = group.find(key);
  return it == group.end() ? nullptr : &it->second;
}

KeyedStateStore::KeyState& KeyedStateStore::Write(int key_group, const std::string& key) {
  KeyState& state = groups_[static_cast<size_t>(key_group - range_.begin)][key];
  // A key without state has no entry in writes_ yet, whatever its stale stamp says.
  if (state.last_write != write_time_ || !state.HasState()) {
    state.last_write = write_time_;
    writes_.emplace_back(write_time_, key_group, key);
  }
  return state;
}

void KeyedStateStore::Tidy(int key_group, const std::string& key, bool had_state) {
  auto& group = groups_[static_cast<size_t>(key_group - range_.begin)];
  auto it = group.find(key);
  if (it == group.end()) return;
  num_keys_ += static_cast<int64_t>(it->second.HasState()) - static_cast<int64_t>(had_state);
  if (it->second.Empty()) group.erase(it);
}

template <typename Change>
void KeyedStateStore::Mutate(int key_group, const std::string& key, Change&& change) {
  const KeyState* before = FindKey(key_group, key);
  const bool had = before != nullptr && before->HasState();
  change(Write(key_group, key));
  Tidy(key_group, key, had);
}

template <typename Field>
void KeyedStateStore::EraseNamed(int key_group, const std::string& key, const std::string& name, Field field) {
  const KeyState* state = FindKey(key_group, key);
  // Erasing what is not there writes nothing (and so keeps the key's TTL stamp).
  if (state == nullptr || !(state->*field).count(name)) return;
  Mutate(key_group, key, [&](KeyState& s) { (s.*field).erase(name); });
}

const std::any* KeyedStateStore::Find(int key_group, const std::string& key, const std::string& name) const {
  const KeyState* state = FindKey(key_group, key);
  if (state == nullptr) return nullptr;
  auto value = state->values.find(name);
  return value == state->values.end() ? nullptr : &value->second;
}

void KeyedStateStore::Put(int key_group, const std::string& key, const std::string& name, std::any value) {
  Mutate(key_group, key, [&](KeyState& s) { s.values[name] = std::move(value); });
}

void KeyedStateStore::Erase(int key_group, const std::string& key, const std::string& name) {
  EraseNamed(key_group, key, name, &KeyState::values);
}

const std::vector<std::any>* KeyedStateStore::FindList(int key_group, const std::string& key,
                                                       const std::string& name) const {
  const KeyState* state = FindKey(key_group, key);
  if (state == nullptr) return nullptr;
  auto list = state->lists.find(name);
  return list == state->lists.end() ? nullptr : &list->second;
}

void KeyedStateStore::Append(int key_group, const std::string& key, const std::string& name, std::any value) {
  Mutate(key_group, key, [&](KeyState& s) { s.lists[name].push_back(std::move(value)); });
}

void KeyedStateStore::PutList(int key_group, const std::string& key, const std::string& name,
                              std::vector<std::any> values) {
  if (values.empty()) return EraseList(key_group, key, name);
  Mutate(key_group, key, [&](KeyState& s) { s.lists[name] = std::move(values); });
}

void KeyedStateStore::EraseList(int key_group, const std::string& key, const std::string& name) {
  EraseNamed(key_group, key, name, &KeyState::lists);
}

const KeyedStateStore::StateMap* KeyedStateStore::FindMap(int key_group, const std::string& key,
                                                          const std::string& name) const {
  const KeyState* state = FindKey(key_group, key);
  if (state == nullptr) return nullptr;
  auto map = state->maps.find(name);
  return map == state->maps.end() ? nullptr : &map->second;
}

void KeyedStateStore::MapPut(int key_group, const std::string& key, const std::string& name,
                             const std::string& map_key, std::any value) {
  Mutate(key_group, key, [&](KeyState& s) { s.maps[name][map_key] = std::move(value); });
}

bool KeyedStateStore::MapErase(int key_group, const std::string& key, const std::string& name,
                               const std::string& map_key) {
  const StateMap* map = FindMap(key_group, key, name);
  if (map == nullptr || !map->count(map_key)) return false;
  Mutate(key_group, key, [&](KeyState& s) {
    auto it = s.maps.find(name);
    it->second.erase(map_key);
    if (it->second.empty()) s.maps.erase(it);  // an empty map is no state
  });
  return true;
}

void KeyedStateStore::EraseMap(int key_group, const std::string& key, const std::string& name) {
  EraseNamed(key_group, key, name, &KeyState::maps);
}

bool KeyedStateStore::RegisterTimer(int key_group, const std::string& key, int64_t time, TimeDomain domain) {
  if (!Timers(domain).emplace(time, key_group, key).second) return false;
  groups_[static_cast<size_t>(key_group - range_.begin)][key].timers[static_cast<int>(domain)].insert(time);
  return true;
}

bool KeyedStateStore::DeleteTimer(int key_group, const std::string& key, int64_t time, TimeDomain domain) {
  if (Timers(domain).erase({time, key_group, key}) == 0) return false;
  auto& group = groups_[static_cast<size_t>(key_group - range_.begin)];
  auto it = group.find(key);
  it->second.timers[static_cast<int>(domain)].erase(time);
  if (it->second.Empty()) group.erase(it);
  return true;
}

std::optional<KeyedStateStore::Timer> KeyedStateStore::PopDueTimer(int64_t now, TimeDomain domain) {
  TimerSet& timers = Timers(domain);
  if (timers.empty() || std::get<0>(*timers.begin()) > now) return std::nullopt;
  auto node = timers.extract(timers.begin());
  auto& [time, key_group, key] = node.value();
  auto& group = groups_[static_cast<size_t>(key_group - range_.begin)];
  auto it = group.find(key);
  it->second.timers[static_cast<int>(domain)].erase(time);
  if (it->second.Empty()) group.erase(it);
  return Timer{time, key_group, std::move(key)};
}

std::optional<int64_t> KeyedStateStore::NextTimerTime(TimeDomain domain) const {
  const TimerSet& timers = Timers(domain);
  if (timers.empty()) return std::nullopt;
  return std::get<0>(*timers.begin());
}

std::vector<KeyedStateStore::Expired> KeyedStateStore::ExpireWrittenBefore(int64_t cutoff) {
  std::vector<Expired> expired;
  while (!writes_.empty() && std::get<0>(writes_.front()) < cutoff) {
    auto [stamp, key_group, key] = std::move(writes_.front());
    writes_.pop_front();
    auto& group = groups_[static_cast<size_t>(key_group - range_.begin)];
    auto it = group.find(key);
    // Written again since (a later entry stands for it), or already gone.
    if (it == group.end() || it->second.last_write != stamp || !it->second.HasState()) continue;
    int timers = 0;
    for (int domain = 0; domain < 2; ++domain) {
      for (int64_t time : it->second.timers[domain]) timers_[domain].erase({time, key_group, key});
      timers += static_cast<int>(it->second.timers[domain].size());
    }
    group.erase(it);
    --num_keys_;
    expired.push_back({key_group, std::move(key), timers});
  }
  return expired;
}

std::vector<std::string> KeyedStateStore::KeysOf(int key_group) const {
  std::vector<std::string> keys;
  for (const auto& [key, state] : groups_[static_cast<size_t>(key_group - range_.begin)]) {
    if (state.HasState()) keys.push_back(key);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace sabot
