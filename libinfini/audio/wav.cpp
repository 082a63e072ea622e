#include "infini/wav.h"

#include <cstring>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "infini/g711.h"

namespace infini {
namespace {

uint16_t U16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t U32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
void Put16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(static_cast<uint8_t>(x));
  v.push_back(static_cast<uint8_t>(x >> 8));
}
void Put32(std::vector<uint8_t>& v, uint32_t x) {
  for (int i = 0; i < 4; ++i) v.push_back(static_cast<uint8_t>(x >> (8 * i)));
}
void PutTag(std::vector<uint8_t>& v, const char* tag) { v.insert(v.end(), tag, tag + 4); }

constexpr uint16_t kFormatPcm = 1;
constexpr uint16_t kFormatMulaw = 7;
constexpr uint16_t kFormatExtensible = 0xFFFE;

}  // namespace

Result<AudioFrame> ParseWav(std::span<const uint8_t> b, const std::string& name) {
  auto bad = [&](std::string what) { return Status::Corruption(fmt::format("wav '{}': {}", name, what)); };
  if (b.size() < 12) return bad(fmt::format("file is {} bytes, too short for a RIFF header", b.size()));
  if (std::memcmp(b.data(), "RIFF", 4) != 0) return bad("does not start with 'RIFF'");
  if (std::memcmp(b.data() + 8, "WAVE", 4) != 0) return bad("RIFF type is not 'WAVE'");

  bool have_fmt = false;
  uint16_t format = 0, channels = 0, bits = 0;
  uint32_t rate = 0;
  size_t pos = 12;
  while (pos + 8 <= b.size()) {
    const uint8_t* chunk = b.data() + pos;
    uint32_t size = U32(chunk + 4);
    size_t body = pos + 8;
    if (std::memcmp(chunk, "fmt ", 4) == 0) {
      if (size < 16 || body + size > b.size()) return bad(fmt::format("fmt chunk of {} bytes is truncated or too small", size));
      format = U16(b.data() + body);
      channels = U16(b.data() + body + 2);
      rate = U32(b.data() + body + 4);
      bits = U16(b.data() + body + 14);
      if (format == kFormatExtensible && size >= 26) format = U16(b.data() + body + 24);
      have_fmt = true;
    } else if (std::memcmp(chunk, "data", 4) == 0) {
      if (!have_fmt) return bad("data chunk before fmt chunk");
      if (channels < 1 || channels > 2) return bad(fmt::format("{} channels (supported: 1 or 2)", channels));
      if (rate < 1000 || rate > 192000) return bad(fmt::format("sample rate {} Hz is not plausible", rate));
      size_t available = b.size() - body;
      if (size > available && size != 0xFFFFFFFFu) {
        return bad(fmt::format("data chunk says {} bytes but file ends after {}", size, available));
      }
      size_t n = std::min<size_t>(size, available);
      AudioFrame out;
      out.sample_rate = static_cast<int>(rate);
      out.channels = channels;
      if (format == kFormatPcm && bits == 16) {
        if (n % (2u * channels) != 0) return bad(fmt::format("PCM16 data of {} bytes is not a whole number of samples", n));
        out.samples.resize(n / 2);
        for (size_t i = 0; i < out.samples.size(); ++i) {
          out.samples[i] = static_cast<int16_t>(U16(b.data() + body + 2 * i));
        }
      } else if (format == kFormatMulaw && bits == 8) {
        if (n % channels != 0) return bad(fmt::format("mu-law data of {} bytes is not a whole number of frames", n));
        out.samples = g711::DecodeUlaw(b.subspan(body, n));
      } else {
        return bad(fmt::format("unsupported encoding: format {} with {} bits (supported: PCM16, mu-law)", format, bits));
      }
      return out;
    }
    pos = body + size + (size & 1);  // chunks are word-aligned
  }
  return bad(have_fmt ? "no data chunk" : "no fmt chunk");
}

Result<AudioFrame> ReadWav(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::NotFound(fmt::format("wav '{}': cannot open file", path));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return ParseWav(bytes, path);
}

std::vector<uint8_t> EncodeWav(const AudioFrame& audio, WavEncoding encoding) {
  const bool mulaw = encoding == WavEncoding::kMulaw;
  const uint16_t bits = mulaw ? 8 : 16;
  const uint32_t data_bytes = static_cast<uint32_t>(audio.samples.size() * (bits / 8));
  const uint16_t channels = static_cast<uint16_t>(audio.channels);
  std::vector<uint8_t> v;
  v.reserve(44 + data_bytes + 2);
  PutTag(v, "RIFF");
  Put32(v, 36 + data_bytes + (data_bytes & 1));
  PutTag(v, "WAVE");
  PutTag(v, "fmt ");
  Put32(v, 16);
  Put16(v, mulaw ? kFormatMulaw : kFormatPcm);
  Put16(v, channels);
  Put32(v, static_cast<uint32_t>(audio.sample_rate));
  Put32(v, static_cast<uint32_t>(audio.sample_rate) * channels * (bits / 8));
  Put16(v, static_cast<uint16_t>(channels * (bits / 8)));
  Put16(v, bits);
  PutTag(v, "data");
  Put32(v, data_bytes);
  if (mulaw) {
    auto coded = g711::EncodeUlaw(audio.samples);
    v.insert(v.end(), coded.begin(), coded.end());
  } else {
    for (int16_t s : audio.samples) Put16(v, static_cast<uint16_t>(s));
  }
  if (data_bytes & 1) v.push_back(0);
  return v;
}

Status WriteWav(const std::string& path, const AudioFrame& audio, WavEncoding encoding) {
  if (audio.sample_rate <= 0 || audio.channels < 1 || audio.channels > 2) {
    return Status::InvalidArgument(fmt::format("wav '{}': cannot write {} channels at {} Hz", path,
                                               audio.channels, audio.sample_rate));
  }
  if (audio.samples.size() % audio.channels != 0) {
    return Status::InvalidArgument(fmt::format("wav '{}': {} samples is not a whole number of {}-channel frames",
                                               path, audio.samples.size(), audio.channels));
  }
  auto bytes = EncodeWav(audio, encoding);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return Status::IOError(fmt::format("wav '{}': cannot open for writing", path));
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f) return Status::IOError(fmt::format("wav '{}': write failed", path));
  return Status::OK();
}

}  // namespace infini
