// KeyedStateStore: hash maps of named values per key group, and an ordered timer set.
#include "sabot/state/keyed_state.h"

#include <algorithm>

namespace sabot {

KeyedStateStore::KeyedStateStore(int num_key_groups, KeyGroupRange range)
    : num_key_groups_(num_key_groups), range_(range) {
  range_.end = std::min(range_.end, num_key_groups_);
  groups_.resize(static_cast<size_t>(std::max(0, range_.end - range_.begin)));
}

std::unordered_map<std::string, KeyedStateStore::Values>& KeyedStateStore::Group(int key_group) {
  return groups_[static_cast<size_t>(key_group - range_.begin)];
}

const std::any* KeyedStateStore::Find(int key_group, const std::string& key, const std::string& name) const {
  const auto& group = groups_[static_cast<size_t>(key_group - range_.begin)];
  auto values = group.find(key);
  if (values == group.end()) return nullptr;
  auto value = values->second.find(name);
  return value == values->second.end() ? nullptr : &value->second;
}

void KeyedStateStore::Put(int key_group, const std::string& key, const std::string& name, std::any value) {
  Group(key_group)[key][name] = std::move(value);
}

void KeyedStateStore::Erase(int key_group, const std::string& key, const std::string& name) {
  auto& group = Group(key_group);
  auto values = group.find(key);
  if (values == group.end()) return;
  values->second.erase(name);
  if (values->second.empty()) group.erase(values);
}

bool KeyedStateStore::RegisterTimer(int key_group, const std::string& key, int64_t time) {
  return timers_.emplace(time, key_group, key).second;
}

bool KeyedStateStore::DeleteTimer(int key_group, const std::string& key, int64_t time) {
  return timers_.erase({time, key_group, key}) > 0;
}

std::optional<KeyedStateStore::Timer> KeyedStateStore::PopDueTimer(int64_t watermark) {
  if (timers_.empty() || std::get<0>(*timers_.begin()) > watermark) return std::nullopt;
  auto node = timers_.extract(timers_.begin());
  auto& [time, key_group, key] = node.value();
  return Timer{time, key_group, std::move(key)};
}

int64_t KeyedStateStore::num_keys() const {
  int64_t keys = 0;
  for (const auto& group : groups_) keys += static_cast<int64_t>(group.size());
  return keys;
}

std::vector<std::string> KeyedStateStore::KeysOf(int key_group) const {
  std::vector<std::string> keys;
  for (const auto& [key, values] : groups_[static_cast<size_t>(key_group - range_.begin)]) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace sabot
