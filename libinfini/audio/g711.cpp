// G.711 exactly as the ITU-T G.191 software tools library (g711.c) codes it. Decoding uses 256-entry
// tables; encoding uses a 65536-entry table built once (128 KiB) so the hot path is
// a single lookup per sample.
#include "infini/g711.h"

#include <array>

namespace infini::g711 {
namespace {

constexpr int kUlawBias = 0x84;

// ITU-T G.191 (STL) ulaw_compress: 14-bit magnitude with one's complement for negatives.
uint8_t UlawEncodeSlow(int16_t pcm) {
  int lin = pcm;
  int absno = (lin < 0) ? ((~lin) >> 2) + 33 : (lin >> 2) + 33;
  if (absno > 0x1FFF) absno = 0x1FFF;
  int segno = 1;
  for (int i = absno >> 6; i != 0; i >>= 1) ++segno;
  int high = 0x8 - segno;
  int low = 0xF - ((absno >> segno) & 0xF);
  int out = (high << 4) | low;
  if (lin >= 0) out |= 0x80;
  return static_cast<uint8_t>(out);
}

int16_t UlawDecodeSlow(uint8_t code) {
  int u = ~code & 0xFF;
  int t = ((u & 0x0F) << 3) + kUlawBias;
  t <<= (u & 0x70) >> 4;
  return static_cast<int16_t>((u & 0x80) ? (kUlawBias - t) : (t - kUlawBias));
}

// ITU-T G.191 (STL) alaw_compress: 12-bit magnitude, one's complement for negatives.
uint8_t AlawEncodeSlow(int16_t pcm) {
  int lin = pcm;
  int ix = (lin < 0) ? ((~lin) >> 4) : (lin >> 4);
  if (ix > 15) {
    int iexp = 1;
    while (ix > 16 + 15) {
      ix >>= 1;
      ++iexp;
    }
    ix -= 16;
    ix += iexp << 4;
  }
  if (lin >= 0) ix |= 0x80;
  return static_cast<uint8_t>(ix ^ 0x55);
}

int16_t AlawDecodeSlow(uint8_t code) {
  int a = code ^ 0x55;
  int t = (a & 0x0F) << 4;
  int seg = (a & 0x70) >> 4;
  switch (seg) {
    case 0: t += 8; break;
    case 1: t += 0x108; break;
    default: t += 0x108; t <<= seg - 1;
  }
  return static_cast<int16_t>((a & 0x80) ? t : -t);
}

struct Tables {
  std::array<int16_t, 256> ulaw_to_linear;
  std::array<int16_t, 256> alaw_to_linear;
  std::array<uint8_t, 65536> linear_to_ulaw;
  std::array<uint8_t, 65536> linear_to_alaw;
  Tables() {
    for (int c = 0; c < 256; ++c) {
      ulaw_to_linear[c] = UlawDecodeSlow(static_cast<uint8_t>(c));
      alaw_to_linear[c] = AlawDecodeSlow(static_cast<uint8_t>(c));
    }
    for (int s = -32768; s <= 32767; ++s) {
      linear_to_ulaw[static_cast<uint16_t>(s)] = UlawEncodeSlow(static_cast<int16_t>(s));
      linear_to_alaw[static_cast<uint16_t>(s)] = AlawEncodeSlow(static_cast<int16_t>(s));
    }
  }
};

const Tables& T() {
  static const Tables tables;
  return tables;
}

}  // namespace

uint8_t UlawFromLinear(int16_t pcm) { return T().linear_to_ulaw[static_cast<uint16_t>(pcm)]; }
int16_t LinearFromUlaw(uint8_t code) { return T().ulaw_to_linear[code]; }
uint8_t AlawFromLinear(int16_t pcm) { return T().linear_to_alaw[static_cast<uint16_t>(pcm)]; }
int16_t LinearFromAlaw(uint8_t code) { return T().alaw_to_linear[code]; }

size_t EncodeUlaw(std::span<const int16_t> in, std::span<uint8_t> out) {
  const auto& t = T().linear_to_ulaw;
  size_t n = std::min(in.size(), out.size());
  for (size_t i = 0; i < n; ++i) out[i] = t[static_cast<uint16_t>(in[i])];
  return n;
}
size_t DecodeUlaw(std::span<const uint8_t> in, std::span<int16_t> out) {
  const auto& t = T().ulaw_to_linear;
  size_t n = std::min(in.size(), out.size());
  for (size_t i = 0; i < n; ++i) out[i] = t[in[i]];
  return n;
}
size_t EncodeAlaw(std::span<const int16_t> in, std::span<uint8_t> out) {
  const auto& t = T().linear_to_alaw;
  size_t n = std::min(in.size(), out.size());
  for (size_t i = 0; i < n; ++i) out[i] = t[static_cast<uint16_t>(in[i])];
  return n;
}
size_t DecodeAlaw(std::span<const uint8_t> in, std::span<int16_t> out) {
  const auto& t = T().alaw_to_linear;
  size_t n = std::min(in.size(), out.size());
  for (size_t i = 0; i < n; ++i) out[i] = t[in[i]];
  return n;
}

std::vector<uint8_t> EncodeUlaw(std::span<const int16_t> pcm) {
  std::vector<uint8_t> out(pcm.size());
  EncodeUlaw(pcm, std::span<uint8_t>(out));
  return out;
}
std::vector<int16_t> DecodeUlaw(std::span<const uint8_t> ulaw) {
  std::vector<int16_t> out(ulaw.size());
  DecodeUlaw(ulaw, std::span<int16_t>(out));
  return out;
}
std::vector<uint8_t> EncodeAlaw(std::span<const int16_t> pcm) {
  std::vector<uint8_t> out(pcm.size());
  EncodeAlaw(pcm, std::span<uint8_t>(out));
  return out;
}
std::vector<int16_t> DecodeAlaw(std::span<const uint8_t> alaw) {
  std::vector<int16_t> out(alaw.size());
  DecodeAlaw(alaw, std::span<int16_t>(out));
  return out;
}

}  // namespace infini::g711
