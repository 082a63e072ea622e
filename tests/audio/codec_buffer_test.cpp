#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <thread>

#include "infini/audio_buffer.h"
#include "infini/opus_codec.h"
#include "infini/wav.h"
#include "test_signals.h"

using infini::AudioFrame;

namespace {
std::string Tmp(const std::string& name) { return std::string(INFINI_TEST_TMP) + "/" + name; }
void WriteBytes(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}
}  // namespace

TEST_CASE("WAV round-trips PCM16 and mu-law") {
  AudioFrame a;
  a.sample_rate = 8000;
  a.samples = infini::test::Sine(500, 8000, 1601);  // odd count: exercises the pad byte
  REQUIRE(infini::WriteWav(Tmp("pcm.wav"), a).ok());
  auto back = infini::ReadWav(Tmp("pcm.wav"));
  REQUIRE(back.ok());
  CHECK(back->sample_rate == 8000);
  CHECK(back->samples == a.samples);

  REQUIRE(infini::WriteWav(Tmp("ulaw.wav"), a, infini::WavEncoding::kMulaw).ok());
  auto ulaw = infini::ReadWav(Tmp("ulaw.wav"));
  REQUIRE(ulaw.ok());
  REQUIRE(ulaw->samples.size() == a.samples.size());
  int worst = 0;
  for (size_t i = 0; i < a.samples.size(); ++i) worst = std::max(worst, std::abs(ulaw->samples[i] - a.samples[i]));
  CHECK(worst <= 256);  // μ-law step at an 8000 amplitude
}

TEST_CASE("malformed WAV files give errors that name the file and the problem") {
  AudioFrame a;
  a.sample_rate = 16000;
  a.samples = infini::test::Sine(300, 16000, 16000);
  auto good = infini::EncodeWav(a);

  auto truncated = std::vector<uint8_t>(good.begin(), good.begin() + 1244);
  auto r = infini::ParseWav(truncated, "cut.wav");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsCorruption());
  CHECK(r.status().message() == "wav 'cut.wav': data chunk says 32000 bytes but file ends after 1200");

  auto not_riff = good;
  not_riff[0] = 'X';
  CHECK(infini::ParseWav(not_riff, "x.wav").status().message() == "wav 'x.wav': does not start with 'RIFF'");
  CHECK(infini::ParseWav(std::vector<uint8_t>(good.begin(), good.begin() + 8), "h.wav")
            .status().message().find("too short") != std::string::npos);

  auto float_fmt = good;
  float_fmt[20] = 3;  // IEEE float
  float_fmt[34] = 32;
  CHECK(infini::ParseWav(float_fmt, "f.wav").status().message().find("unsupported encoding: format 3") != std::string::npos);

  auto odd = good;
  odd[40] = 0xFF;  // data size 31999: an odd byte count for PCM16
  odd[41] = 0x7C;
  odd[42] = 0;
  odd[43] = 0;
  CHECK(infini::ParseWav(odd, "o.wav").status().message().find("not a whole number of samples") != std::string::npos);

  CHECK(infini::ReadWav(Tmp("does-not-exist.wav")).status().IsNotFound());
  WriteBytes(Tmp("empty.wav"), {});
  CHECK(infini::ReadWav(Tmp("empty.wav")).status().IsCorruption());
  AudioFrame bad;
  bad.channels = 2;
  bad.samples = {1, 2, 3};
  CHECK(infini::WriteWav(Tmp("bad.wav"), bad).IsInvalidArgument());
}

TEST_CASE("Opus round-trips 20 ms frames at 16 and 48 kHz and conceals a lost frame") {
  for (int rate : {16000, 48000}) {
    CAPTURE(rate);
    auto enc = infini::OpusEncoder::Create({.sample_rate = rate});
    auto dec = infini::OpusDecoder::Create({.sample_rate = rate});
    REQUIRE(enc.ok());
    REQUIRE(dec.ok());
    auto sine = infini::test::Sine(440, rate, rate);  // 1 s, 50 frames
    const int n = AudioFrame::SamplesPerFrame(rate);
    std::vector<int16_t> decoded;
    std::vector<uint8_t> packet;
    size_t bytes = 0;
    for (int f = 0; f < 50; ++f) {
      AudioFrame in;
      in.sample_rate = rate;
      in.samples.assign(sine.begin() + f * n, sine.begin() + (f + 1) * n);
      REQUIRE((*enc)->Encode(in, packet).ok());
      bytes += packet.size();
      AudioFrame out;
      if (f == 30) {
        REQUIRE((*dec)->Conceal(out).ok());  // packet 30 "lost"
      } else {
        REQUIRE((*dec)->Decode(packet, out).ok());
      }
      CHECK(out.samples.size() == static_cast<size_t>(n));
      decoded.insert(decoded.end(), out.samples.begin(), out.samples.end());
    }
    CHECK(bytes < 50 * 200);  // ~24 kbit/s
    // The tone survives coding (and the concealed frame) with most of its energy.
    double level = infini::test::ToneLevel(decoded, 440, rate, static_cast<size_t>(rate / 10));
    CHECK(level > 2000);
  }
  auto enc = infini::OpusEncoder::Create({.sample_rate = 16000});
  std::vector<uint8_t> packet;
  AudioFrame wrong = AudioFrame::Silence(16000, 10);
  CHECK((*enc)->Encode(wrong, packet).IsInvalidArgument());
  CHECK(infini::OpusEncoder::Create({.sample_rate = 44100}).status().IsInvalidArgument());
  auto dec = infini::OpusDecoder::Create({.sample_rate = 16000});
  AudioFrame out;
  std::vector<uint8_t> garbage = {0xFF, 0xFF, 0xFF};
  CHECK_FALSE((*dec)->Decode(garbage, out).ok());
  CHECK((*dec)->Decode({}, out).IsInvalidArgument());
}

TEST_CASE("SpscRing is bounded, counts overflow and underflow, and moves every item in order across threads") {
  infini::SpscRing<int> ring(4);
  int x = 0;
  CHECK_FALSE(ring.TryPop(x));
  for (int i = 0; i < 4; ++i) CHECK(ring.TryPush(i));
  CHECK_FALSE(ring.TryPush(99));
  CHECK(ring.size() == 4);
  auto s = ring.stats();
  CHECK(s.overflows == 1);
  CHECK(s.underflows == 1);
  CHECK(ring.TryPop(x));
  CHECK(x == 0);

  infini::SpscRing<int> big(64);
  constexpr int kItems = 200000;
  std::thread producer([&] {
    for (int i = 0; i < kItems;) {
      if (big.TryPush(i)) ++i;
    }
  });
  int expected = 0;
  bool in_order = true;
  while (expected < kItems) {
    int v;
    if (big.TryPop(v)) {
      in_order &= (v == expected);
      ++expected;
    }
  }
  producer.join();
  CHECK(in_order);
  CHECK(big.stats().popped == kItems);
  CHECK(big.stats().pushed == kItems);
}
