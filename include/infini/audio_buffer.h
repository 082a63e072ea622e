// Bounded buffers between the network thread and the pipeline.
//
//   infini::SpscRing<infini::AudioFrame> inbound(64);     // ~1.3 s of 20 ms frames
//   if (!inbound.TryPush(std::move(frame))) { /* counted as overflow, frame dropped */ }
//   infini::AudioFrame f; if (inbound.TryPop(f)) ...       // else counted as underflow
//
// SpscRing: exactly one producer thread and one consumer thread; lock-free, never
// blocks, never allocates after construction. Overflow (push when full: the new item
// is dropped) and underflow (pop when empty) are counted, readable from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace infini {

struct BufferStats {
  uint64_t pushed = 0;
  uint64_t popped = 0;
  uint64_t overflows = 0;   // items dropped because the buffer was full
  uint64_t underflows = 0;  // pops that found nothing
};

template <typename T>
class SpscRing {
 public:
  // Holds up to `capacity` items (capacity >= 1).
  explicit SpscRing(size_t capacity) : slots_(capacity + 1) {}
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  bool TryPush(T item) {  // producer thread only
    size_t head = head_.load(std::memory_order_relaxed);
    size_t next = Next(head);
    if (next == tail_.load(std::memory_order_acquire)) {
      overflows_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    slots_[head] = std::move(item);
    head_.store(next, std::memory_order_release);
    pushed_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  bool TryPop(T& out) {  // consumer thread only
    size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail == head_.load(std::memory_order_acquire)) {
      underflows_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    out = std::move(slots_[tail]);
    tail_.store(Next(tail), std::memory_order_release);
    popped_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  size_t size() const {
    size_t h = head_.load(std::memory_order_acquire), t = tail_.load(std::memory_order_acquire);
    return h >= t ? h - t : h + slots_.size() - t;
  }
  size_t capacity() const { return slots_.size() - 1; }
  bool empty() const { return size() == 0; }

  BufferStats stats() const {
    return {pushed_.load(std::memory_order_relaxed), popped_.load(std::memory_order_relaxed),
            overflows_.load(std::memory_order_relaxed), underflows_.load(std::memory_order_relaxed)};
  }

 private:
  size_t Next(size_t i) const { return i + 1 == slots_.size() ? 0 : i + 1; }
  std::vector<T> slots_;
  alignas(64) std::atomic<size_t> head_{0};
  alignas(64) std::atomic<size_t> tail_{0};
  std::atomic<uint64_t> pushed_{0}, popped_{0}, overflows_{0}, underflows_{0};
};

}  // namespace infini
