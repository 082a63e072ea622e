// G.711 μ-law and A-law (ITU-T G.711), bit-exact with the reference coder.
//
//   std::vector<uint8_t> ulaw = infini::g711::EncodeUlaw(frame.samples);
//   std::vector<int16_t> pcm  = infini::g711::DecodeUlaw(ulaw);
//   infini::g711::DecodeUlaw(payload, out_span);   // allocation-free hot path
//
// Pure functions; thread-safe. Twilio Media Streams carry 8 kHz μ-law.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace infini::g711 {

uint8_t UlawFromLinear(int16_t pcm);
int16_t LinearFromUlaw(uint8_t code);
uint8_t AlawFromLinear(int16_t pcm);
int16_t LinearFromAlaw(uint8_t code);

// Span versions write min(in.size(), out.size()) samples and return that count.
size_t EncodeUlaw(std::span<const int16_t> in, std::span<uint8_t> out);
size_t DecodeUlaw(std::span<const uint8_t> in, std::span<int16_t> out);
size_t EncodeAlaw(std::span<const int16_t> in, std::span<uint8_t> out);
size_t DecodeAlaw(std::span<const uint8_t> in, std::span<int16_t> out);

std::vector<uint8_t> EncodeUlaw(std::span<const int16_t> pcm);
std::vector<int16_t> DecodeUlaw(std::span<const uint8_t> ulaw);
std::vector<uint8_t> EncodeAlaw(std::span<const int16_t> pcm);
std::vector<int16_t> DecodeAlaw(std::span<const uint8_t> alaw);

}  // namespace infini::g711
