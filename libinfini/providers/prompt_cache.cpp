#include "providers/prompt_cache.h"

#include <fmt/format.h>

namespace infini::providers {

std::string PromptCache::Key(const std::string& voice, int sample_rate, const std::string& text) {
  return fmt::format("{}\x1f{}\x1f{}", voice, sample_rate, text);
}

PromptCache::Audio PromptCache::Get(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->audio;
}

void PromptCache::Put(const std::string& key, Audio audio) {
  if (!audio) return;
  const size_t bytes = audio->size() * sizeof(int16_t) + key.size();
  std::lock_guard lock(mu_);
  if (bytes > capacity_bytes_) return;
  if (auto it = index_.find(key); it != index_.end()) {
    size_bytes_ -= it->second->audio->size() * sizeof(int16_t) + key.size();
    lru_.erase(it->second);
    index_.erase(it);
  }
  lru_.push_front({key, std::move(audio)});
  index_[key] = lru_.begin();
  size_bytes_ += bytes;
  EvictLocked();
}

void PromptCache::EvictLocked() {
  while (size_bytes_ > capacity_bytes_ && !lru_.empty()) {
    const Entry& last = lru_.back();
    size_bytes_ -= last.audio->size() * sizeof(int16_t) + last.key.size();
    index_.erase(last.key);
    lru_.pop_back();
  }
}

size_t PromptCache::size_bytes() const { std::lock_guard lock(mu_); return size_bytes_; }
size_t PromptCache::entries() const { std::lock_guard lock(mu_); return lru_.size(); }
uint64_t PromptCache::hits() const { std::lock_guard lock(mu_); return hits_; }
uint64_t PromptCache::misses() const { std::lock_guard lock(mu_); return misses_; }

}  // namespace infini::providers
