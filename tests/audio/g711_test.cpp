// G.711 checked over all 65536 PCM inputs and all 256 codes against two independent
// references: a transcription of the ITU-T G.191 STL g711.c routines (below), and sox,
// run at test time. sox rounds 16-bit input to 14 bits before coding where G.191
// truncates, so sox's encoder may differ from the ITU reference by one code step on
// inputs that sit on a decision boundary; its decoder is the same.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "infini/g711.h"

namespace {

std::vector<char> ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void WriteAll(const std::string& path, const void* data, size_t n) {
  std::ofstream f(path, std::ios::binary);
  f.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
}

// Runs sox; -D disables dither so the coding is the plain G.711 mapping.
void Sox(const std::string& args) {
  std::string cmd = "sox -D " + args + " 2>&1";
  REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "sox failed: " << cmd);
}

struct SoxReference {
  std::vector<uint8_t> ulaw_of_pcm, alaw_of_pcm;  // 65536 entries, index = pcm + 32768
  std::vector<int16_t> pcm_of_ulaw, pcm_of_alaw;  // 256 entries
  SoxReference() {
    std::string dir = INFINI_TEST_TMP;
    std::vector<int16_t> all(65536);
    for (int i = 0; i < 65536; ++i) all[i] = static_cast<int16_t>(i - 32768);
    WriteAll(dir + "/g711_all.raw", all.data(), all.size() * 2);
    std::vector<uint8_t> codes(256);
    for (int i = 0; i < 256; ++i) codes[i] = static_cast<uint8_t>(i);
    WriteAll(dir + "/g711_codes.raw", codes.data(), codes.size());
    const std::string pcm_in = "-t raw -r 8000 -e signed -b 16 -c 1 ";
    Sox(pcm_in + dir + "/g711_all.raw -t raw -e u-law -b 8 " + dir + "/g711_all.ulaw");
    Sox(pcm_in + dir + "/g711_all.raw -t raw -e a-law -b 8 " + dir + "/g711_all.alaw");
    Sox("-t raw -r 8000 -e u-law -b 8 -c 1 " + dir + "/g711_codes.raw -t raw -e signed -b 16 " + dir + "/g711_codes_u.pcm");
    Sox("-t raw -r 8000 -e a-law -b 8 -c 1 " + dir + "/g711_codes.raw -t raw -e signed -b 16 " + dir + "/g711_codes_a.pcm");
    auto u = ReadAll(dir + "/g711_all.ulaw"), a = ReadAll(dir + "/g711_all.alaw");
    ulaw_of_pcm.assign(u.begin(), u.end());
    alaw_of_pcm.assign(a.begin(), a.end());
    auto du = ReadAll(dir + "/g711_codes_u.pcm"), da = ReadAll(dir + "/g711_codes_a.pcm");
    pcm_of_ulaw.resize(du.size() / 2);
    pcm_of_alaw.resize(da.size() / 2);
    std::memcpy(pcm_of_ulaw.data(), du.data(), du.size());
    std::memcpy(pcm_of_alaw.data(), da.data(), da.size());
  }
};

const SoxReference& Ref() {
  static SoxReference ref;
  return ref;
}

// ITU-T G.191 STL, g711.c: ulaw_compress / alaw_compress / *_expand, one sample each.
short G191UlawCompress(short lin) {
  short absno = lin < 0 ? static_cast<short>(((~lin) >> 2) + 33) : static_cast<short>((lin >> 2) + 33);
  if (absno > 0x1FFF) absno = 0x1FFF;
  short i = absno >> 6, segno = 1;
  while (i != 0) { segno++; i >>= 1; }
  short high_nibble = 0x0008 - segno;
  short low_nibble = 0x000F - ((absno >> segno) & 0x000F);
  short out = static_cast<short>((high_nibble << 4) | low_nibble);
  if (lin >= 0) out = out | 0x0080;
  return out;
}
short G191UlawExpand(short log) {
  short sign = log < 0x0080 ? -1 : 1;
  short mantissa = ~log;
  short exponent = (mantissa >> 4) & 0x0007;
  short segment = exponent + 1;
  mantissa = mantissa & 0x000F;
  short step = 4 << segment;
  return static_cast<short>(sign * ((0x0080 << exponent) + step * mantissa + step / 2 - 4 * 33));
}
short G191AlawCompress(short lin) {
  short ix = lin < 0 ? static_cast<short>((~lin) >> 4) : static_cast<short>(lin >> 4);
  if (ix > 15) {
    short iexp = 1;
    while (ix > 16 + 15) { ix >>= 1; iexp++; }
    ix -= 16;
    ix += iexp << 4;
  }
  if (lin >= 0) ix |= 0x0080;
  return ix ^ 0x0055;
}
short G191AlawExpand(short log) {
  short ix = (log ^ 0x0055) & 0x007F;
  short iexp = ix >> 4, mant = ix & 0x000F;
  if (iexp > 0) mant = mant + 16;
  mant = static_cast<short>((mant << 4) + 0x0008);
  if (iexp > 1) mant = static_cast<short>(mant << (iexp - 1));
  return log > 127 ? mant : static_cast<short>(-mant);
}

}  // namespace

TEST_CASE("mu-law and A-law encode all 65536 PCM inputs exactly as ITU-T G.191") {
  int ulaw_mismatch = 0, alaw_mismatch = 0;
  for (int x = -32768; x <= 32767; ++x) {
    auto s = static_cast<int16_t>(x);
    if (infini::g711::UlawFromLinear(s) != G191UlawCompress(s)) ++ulaw_mismatch;
    if (infini::g711::AlawFromLinear(s) != G191AlawCompress(s)) ++alaw_mismatch;
  }
  CHECK(ulaw_mismatch == 0);
  CHECK(alaw_mismatch == 0);
  for (int c = 0; c < 256; ++c) {
    CHECK(infini::g711::LinearFromUlaw(static_cast<uint8_t>(c)) == G191UlawExpand(static_cast<short>(c)));
    CHECK(infini::g711::LinearFromAlaw(static_cast<uint8_t>(c)) == G191AlawExpand(static_cast<short>(c)));
  }
}

TEST_CASE("the encoders agree with sox except one code step on rounding boundaries") {
  const auto& ref = Ref();
  REQUIRE(ref.ulaw_of_pcm.size() == 65536);
  REQUIRE(ref.alaw_of_pcm.size() == 65536);
  int ulaw_diff = 0, alaw_diff = 0, far = 0;
  for (int i = 0; i < 65536; ++i) {
    auto s = static_cast<int16_t>(i - 32768);
    int u = infini::g711::UlawFromLinear(s), us = ref.ulaw_of_pcm[i];
    int a = infini::g711::AlawFromLinear(s), as = ref.alaw_of_pcm[i];
    if (u != us) {
      ++ulaw_diff;
      // Adjacent codes decode to adjacent levels; anything further is a real bug.
      if (std::abs(infini::g711::LinearFromUlaw(u) - infini::g711::LinearFromUlaw(us)) > 1100) ++far;
    }
    if (a != as) {
      ++alaw_diff;
      if (std::abs(infini::g711::LinearFromAlaw(a) - infini::g711::LinearFromAlaw(as)) > 1100) ++far;
    }
  }
  MESSAGE("encoder differences vs sox (rounding): mu-law " << ulaw_diff << ", A-law " << alaw_diff << " of 65536");
  CHECK(far == 0);
  CHECK(ulaw_diff < 65536 / 100);
  CHECK(alaw_diff < 65536 / 50);
}

TEST_CASE("all 256 mu-law and A-law codes decode exactly as sox") {
  const auto& ref = Ref();
  REQUIRE(ref.pcm_of_ulaw.size() == 256);
  REQUIRE(ref.pcm_of_alaw.size() == 256);
  for (int c = 0; c < 256; ++c) {
    CHECK(infini::g711::LinearFromUlaw(static_cast<uint8_t>(c)) == ref.pcm_of_ulaw[c]);
    CHECK(infini::g711::LinearFromAlaw(static_cast<uint8_t>(c)) == ref.pcm_of_alaw[c]);
  }
}

TEST_CASE("G.711 anchor values from the standard") {
  // μ-law: 0xFF and 0x7F are the two zeros; 0x00 is the most negative level.
  CHECK(infini::g711::LinearFromUlaw(0xFF) == 0);
  CHECK(infini::g711::LinearFromUlaw(0x7F) == 0);
  CHECK(infini::g711::LinearFromUlaw(0x00) == -32124);
  CHECK(infini::g711::LinearFromUlaw(0x80) == 32124);
  CHECK(infini::g711::UlawFromLinear(0) == 0xFF);
  CHECK(infini::g711::AlawFromLinear(0) == 0xD5);
  CHECK(infini::g711::LinearFromAlaw(0xD5) == 8);
}

TEST_CASE("span codecs stop at the shorter buffer and round-trip within one quantisation step") {
  std::vector<int16_t> pcm = {0, 100, -100, 1000, -1000, 32767, -32768};
  auto ulaw = infini::g711::EncodeUlaw(pcm);
  auto back = infini::g711::DecodeUlaw(ulaw);
  REQUIRE(back.size() == pcm.size());
  for (size_t i = 0; i < pcm.size(); ++i) CHECK(std::abs(back[i] - pcm[i]) <= 1024);
  std::vector<uint8_t> small(3);
  CHECK(infini::g711::EncodeUlaw(pcm, std::span<uint8_t>(small)) == 3);
  CHECK(infini::g711::EncodeUlaw(std::span<const int16_t>{}).empty());
}
