// The process-wide cache of parsed Parquet footers: a map by path and a recency list.
#include "sabot/io/parquet_footer_cache.h"

#include <sys/stat.h>

#include <list>
#include <mutex>
#include <unordered_map>

#include <parquet/metadata.h>

namespace sabot {

namespace {

class FooterCache {
 public:
  static FooterCache& Get() {
    static auto* cache = new FooterCache();  // never destroyed: sources may outlive statics
    return *cache;
  }

  std::shared_ptr<parquet::FileMetaData> Find(const std::string& path, const ParquetFileStamp& stamp) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(path);
    if (it == entries_.end() || !(it->second.stamp == stamp)) return nullptr;
    recency_.splice(recency_.begin(), recency_, it->second.position);
    return it->second.footer;
  }

  void Keep(const std::string& path, const ParquetFileStamp& stamp, std::shared_ptr<parquet::FileMetaData> footer) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = entries_.find(path); it != entries_.end()) {
      recency_.erase(it->second.position);
      entries_.erase(it);
    }
    recency_.push_front(path);
    entries_.emplace(path, Entry{stamp, std::move(footer), recency_.begin()});
    while (entries_.size() > kParquetFootersKept) {
      entries_.erase(recency_.back());
      recency_.pop_back();
    }
  }

  size_t size() {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.size();
  }

 private:
  struct Entry {
    ParquetFileStamp stamp;
    std::shared_ptr<parquet::FileMetaData> footer;
    std::list<std::string>::iterator position;  // in recency_
  };

  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> recency_;  // most recently used first
};

}  // namespace

std::optional<ParquetFileStamp> StampParquetFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return ParquetFileStamp{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                          static_cast<int64_t>(st.st_size),
                          static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

std::shared_ptr<parquet::FileMetaData> FindParquetFooter(const std::string& path, const ParquetFileStamp& stamp) {
  return FooterCache::Get().Find(path, stamp);
}

void KeepParquetFooter(const std::string& path, const ParquetFileStamp& stamp,
                       std::shared_ptr<parquet::FileMetaData> footer) {
  if (footer != nullptr) FooterCache::Get().Keep(path, stamp, std::move(footer));
}

size_t ParquetFootersKept() { return FooterCache::Get().size(); }

}  // namespace sabot
