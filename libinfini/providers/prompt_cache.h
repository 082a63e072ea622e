// PromptCache: synthesized audio keyed by voice + rate + text, bounded in bytes (LRU).
// Greetings and common prompts cost a map lookup after the first time. Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace infini::providers {

class PromptCache {
 public:
  using Audio = std::shared_ptr<const std::vector<int16_t>>;
  explicit PromptCache(size_t capacity_bytes) : capacity_bytes_(capacity_bytes) {}

  static std::string Key(const std::string& voice, int sample_rate, const std::string& text);
  Audio Get(const std::string& key);
  // Entries larger than the whole capacity are not stored.
  void Put(const std::string& key, Audio audio);

  size_t size_bytes() const;
  size_t entries() const;
  uint64_t hits() const;
  uint64_t misses() const;

 private:
  struct Entry {
    std::string key;
    Audio audio;
  };
  void EvictLocked();
  mutable std::mutex mu_;
  size_t capacity_bytes_;
  size_t size_bytes_ = 0;
  uint64_t hits_ = 0, misses_ = 0;
  std::list<Entry> lru_;  // front = most recent
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace infini::providers
