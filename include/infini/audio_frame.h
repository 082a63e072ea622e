// AudioFrame: interleaved PCM16 samples with their rate and channel count.
//
//   infini::AudioFrame f = infini::AudioFrame::Silence(16000, infini::kFrameMs);
//   f.duration_ms();   // 20
//
// The unit on the wire is a 20 ms frame (160 samples at 8 kHz, 320 at 16 kHz).
// A value type; not synchronized.
#pragma once

#include <cstdint>
#include <vector>

namespace infini {

inline constexpr int kFrameMs = 20;

struct AudioFrame {
  std::vector<int16_t> samples;  // interleaved when channels > 1
  int sample_rate = 16000;
  int channels = 1;
  int64_t timestamp_ms = 0;  // position of the first sample in its stream

  size_t sample_count() const { return channels > 0 ? samples.size() / channels : 0; }
  int duration_ms() const {
    return sample_rate > 0 ? static_cast<int>(sample_count() * 1000 / sample_rate) : 0;
  }
  bool empty() const { return samples.empty(); }

  static int SamplesPerFrame(int sample_rate, int ms = kFrameMs) { return sample_rate * ms / 1000; }
  static AudioFrame Silence(int sample_rate, int ms = kFrameMs, int channels = 1) {
    AudioFrame f;
    f.sample_rate = sample_rate;
    f.channels = channels;
    f.samples.assign(static_cast<size_t>(SamplesPerFrame(sample_rate, ms)) * channels, 0);
    return f;
  }
};

}  // namespace infini
