// WAV files: PCM16 and G.711 μ-law (format 7), mono or stereo.
//
//   auto wav = infini::ReadWav("prompt.wav");       // Result<AudioFrame>, PCM16
//   if (!wav.ok()) INFINI_LOG(kError, "{}", wav.status().ToString());
//   infini::WriteWav("out.wav", frame, infini::WavEncoding::kMulaw);
//
// A truncated or malformed file is a Corruption status that names the file and what
// is wrong. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "infini/audio_frame.h"
#include "infini/status.h"

namespace infini {

enum class WavEncoding { kPcm16, kMulaw };

// Reads a whole file; μ-law is decoded to PCM16.
Result<AudioFrame> ReadWav(const std::string& path);
// Parses WAV bytes already in memory; `name` is used in error messages.
Result<AudioFrame> ParseWav(std::span<const uint8_t> bytes, const std::string& name = "<memory>");

std::vector<uint8_t> EncodeWav(const AudioFrame& audio, WavEncoding encoding = WavEncoding::kPcm16);
Status WriteWav(const std::string& path, const AudioFrame& audio,
                WavEncoding encoding = WavEncoding::kPcm16);

}  // namespace infini
