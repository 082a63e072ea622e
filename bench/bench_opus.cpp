// Opus encode/decode cost per 20 ms frame at 16 and 48 kHz.
// Usage: bench_opus
#include <cmath>
#include <cstdio>

#include "bench_timing.h"
#include "infini/opus_codec.h"

int main() {
  for (int rate : {16000, 48000}) {
    auto enc = infini::OpusEncoder::Create({.sample_rate = rate});
    auto dec = infini::OpusDecoder::Create({.sample_rate = rate});
    if (!enc.ok() || !dec.ok()) return 1;
    infini::AudioFrame frame = infini::AudioFrame::Silence(rate);
    std::vector<uint8_t> packet;
    int f = 0;
    size_t bytes = 0;
    auto e = infini::bench::TimePerCall(100, 50, [&] {
      for (size_t i = 0; i < frame.samples.size(); ++i) {
        double t = (f * frame.samples.size() + i) / static_cast<double>(rate);
        frame.samples[i] = static_cast<int16_t>(5000 * std::sin(2 * M_PI * 200 * t) * (1 + std::sin(2 * M_PI * 4 * t)));
      }
      ++f;
      (void)(*enc)->Encode(frame, packet);
      bytes += packet.size();
    });
    infini::AudioFrame out;
    auto d = infini::bench::TimePerCall(100, 50, [&] { (void)(*dec)->Decode(packet, out); });
    auto plc = infini::bench::TimePerCall(20, 50, [&] { (void)(*dec)->Conceal(out); });
    std::printf("Opus %d Hz, 20 ms frames (%.0f bytes/packet avg):\n", rate, static_cast<double>(bytes) / (100 * 50));
    infini::bench::PrintRow("encode", e);
    infini::bench::PrintRow("decode", d);
    infini::bench::PrintRow("conceal (PLC)", plc);
  }
  return 0;
}
