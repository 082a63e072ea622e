// Opus encode/decode of 20 ms mono frames at 16 kHz (wideband) or 48 kHz.
//
//   auto enc = infini::OpusEncoder::Create({.sample_rate = 16000});
//   std::vector<uint8_t> packet; (*enc)->Encode(frame, packet);
//   auto dec = infini::OpusDecoder::Create({.sample_rate = 16000});
//   AudioFrame pcm; (*dec)->Decode(packet, pcm);   // (*dec)->Conceal(pcm) for a lost packet
//
// One encoder/decoder per stream; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "infini/audio_frame.h"
#include "infini/status.h"

namespace infini {

struct OpusOptions {
  int sample_rate = 16000;  // 8000, 12000, 16000, 24000 or 48000
  int bitrate = 24000;      // bits per second (encoder)
  int complexity = 5;       // 0..10 (encoder): 5 keeps a 20 ms frame well under 100 µs
  bool voip = true;         // OPUS_APPLICATION_VOIP, else AUDIO
};

class OpusEncoder {
 public:
  virtual ~OpusEncoder() = default;
  static Result<std::unique_ptr<OpusEncoder>> Create(const OpusOptions& options);
  // `frame` must be mono, at the encoder's rate, exactly 20 ms. Replaces `packet`.
  virtual Status Encode(const AudioFrame& frame, std::vector<uint8_t>& packet) = 0;
};

class OpusDecoder {
 public:
  virtual ~OpusDecoder() = default;
  static Result<std::unique_ptr<OpusDecoder>> Create(const OpusOptions& options);
  // Decodes one packet into a 20 ms frame (replaces `frame`). Corruption on a bad packet.
  virtual Status Decode(std::span<const uint8_t> packet, AudioFrame& frame) = 0;
  // Packet loss concealment: synthesizes the missing 20 ms frame.
  virtual Status Conceal(AudioFrame& frame) = 0;
};

}  // namespace infini
