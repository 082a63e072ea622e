// The per-frame cost of the Twilio Media Streams audio path, on one core.
// Inbound:  JSON "media" message -> base64 -> μ-law decode -> 8->16 kHz -> VAD.
// Outbound: 16 kHz PCM -> 16->8 kHz -> μ-law encode -> base64 -> JSON "media" message.
// Usage: bench_audio_path [frames]   (default 200000 frames of a synthetic voice-like signal)
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "bench_timing.h"
#include "infini/base64.h"
#include "infini/g711.h"
#include "infini/resampler.h"
#include "infini/vad.h"

namespace {

// The payload of a Media Streams "media" message, found without building a DOM:
// Twilio's messages are flat, machine-written JSON with no escapes inside "payload".
std::string_view FindPayload(std::string_view msg) {
  constexpr std::string_view kKey = "\"payload\":\"";
  size_t at = msg.find(kKey);
  if (at == std::string_view::npos) return {};
  size_t begin = at + kKey.size();
  size_t end = msg.find('"', begin);
  return end == std::string_view::npos ? std::string_view{} : msg.substr(begin, end - begin);
}

std::vector<std::string> MakeMessages(int count) {
  std::vector<std::string> msgs;
  std::vector<int16_t> pcm(160);
  for (int f = 0; f < count; ++f) {
    for (int i = 0; i < 160; ++i) {
      double t = (f * 160 + i) / 8000.0;
      pcm[i] = static_cast<int16_t>(6000 * std::sin(2 * M_PI * 220 * t) * (0.5 + 0.5 * std::sin(2 * M_PI * 3 * t)));
    }
    auto ulaw = infini::g711::EncodeUlaw(pcm);
    msgs.push_back(R"({"event":"media","sequenceNumber":")" + std::to_string(f + 2) +
                   R"(","media":{"track":"inbound","chunk":")" + std::to_string(f + 1) +
                   R"(","timestamp":")" + std::to_string(f * 20) + R"(","payload":")" +
                   infini::Base64Encode(ulaw) + R"("},"streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0"})");
  }
  return msgs;
}

}  // namespace

int main(int argc, char** argv) {
  const int frames = argc > 1 ? std::atoi(argv[1]) : 200000;
  const int batch = 1000, batches = frames / batch;
  const int distinct = 500;  // messages cycled through
  auto msgs = MakeMessages(distinct);
  std::printf("Twilio audio path, per 20 ms frame (%d frames, one core)\n", batches * batch);

  auto up = infini::Resampler::Create({.from_hz = 8000, .to_hz = 16000});
  auto down = infini::Resampler::Create({.from_hz = 16000, .to_hz = 8000});
  if (!up.ok() || !down.ok()) return 1;
  auto vad = infini::Vad::CreateEnergy();
  std::vector<uint8_t> ulaw;
  std::vector<int16_t> pcm8(160), pcm16, pending;
  pcm16.reserve(4096);
  pending.reserve(4096);
  int idx = 0, speech = 0;

  auto inbound_tail = [&](std::string_view payload) {
    if (!infini::Base64Decode(payload, ulaw).ok()) std::abort();
    infini::g711::DecodeUlaw(ulaw, pcm8);
    pcm16.clear();
    (void)(*up)->Process(pcm8, pcm16);
    pending.insert(pending.end(), pcm16.begin(), pcm16.end());
    size_t used = 0;
    for (; used + 320 <= pending.size(); used += 320) {
      speech += vad->Process(std::span<const int16_t>(pending.data() + used, 320)).speech;
    }
    pending.erase(pending.begin(), pending.begin() + static_cast<long>(used));
  };

  auto fast = infini::bench::TimePerCall(batches, batch, [&] {
    inbound_tail(FindPayload(msgs[idx]));
    idx = (idx + 1) % distinct;
  });
  auto dom = infini::bench::TimePerCall(batches / 4, batch, [&] {
    auto j = nlohmann::json::parse(msgs[idx]);
    const auto& payload = j["media"]["payload"].get_ref<const std::string&>();
    inbound_tail(payload);
    idx = (idx + 1) % distinct;
  });
  // Stage costs, for the breakdown.
  std::string_view payload = FindPayload(msgs[0]);
  auto s_find = infini::bench::TimePerCall(batches, batch, [&] { payload = FindPayload(msgs[idx = (idx + 1) % distinct]); });
  auto s_b64 = infini::bench::TimePerCall(batches, batch, [&] { (void)infini::Base64Decode(payload, ulaw); });
  auto s_ulaw = infini::bench::TimePerCall(batches, batch, [&] { infini::g711::DecodeUlaw(ulaw, pcm8); });
  auto s_res = infini::bench::TimePerCall(batches, batch, [&] { pcm16.clear(); (void)(*up)->Process(pcm8, pcm16); });
  std::vector<int16_t> frame16(320, 1000);
  auto s_vad = infini::bench::TimePerCall(batches, batch, [&] { speech += vad->Process(frame16).speech; });

  std::printf("inbound (Media Streams JSON -> PCM16 16 kHz + VAD):\n");
  infini::bench::PrintRow("whole path, payload found by key scan", fast);
  infini::bench::PrintRow("whole path, nlohmann::json DOM parse", dom);
  infini::bench::PrintRow("  stage: find payload", s_find);
  infini::bench::PrintRow("  stage: base64 decode (160 bytes)", s_b64);
  infini::bench::PrintRow("  stage: mu-law decode", s_ulaw);
  infini::bench::PrintRow("  stage: resample 8->16 kHz (soxr, default)", s_res);
  infini::bench::PrintRow("  stage: VAD (320 samples)", s_vad);

  // Outbound: what the host sends back for each 20 ms of agent speech.
  std::vector<int16_t> agent16(320), out8;
  for (int i = 0; i < 320; ++i) agent16[i] = static_cast<int16_t>(5000 * std::sin(i * 0.2));
  out8.reserve(4096);
  std::vector<uint8_t> coded(4096);
  std::string b64, json;
  json.reserve(512);
  size_t bytes_out = 0;
  auto outbound = infini::bench::TimePerCall(batches, batch, [&] {
    out8.clear();
    (void)(*down)->Process(agent16, out8);
    size_t n = infini::g711::EncodeUlaw(out8, coded);
    infini::Base64EncodeTo(std::span<const uint8_t>(coded.data(), n), b64);
    json.clear();
    json += R"({"event":"media","streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0","media":{"payload":")";
    json += b64;
    json += "\"}}";
    bytes_out += json.size();
  });
  std::printf("outbound (PCM16 16 kHz -> Media Streams JSON):\n");
  infini::bench::PrintRow("whole path", outbound);
  std::printf("(speech frames seen: %d, bytes out: %zu)\n", speech, bytes_out);
  return 0;
}
