// Shared by tests/providers and bench/: packaged pocketsphinx recordings with their
// transcripts, and in-domain booking sentences built from the sample business configs.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace infini::speechdata {

inline const std::string kTestData = "/usr/share/pocketsphinx/test/data";

struct Recording {
  std::string name;
  std::string transcript;
  std::vector<int16_t> pcm16k;  // mono 16 kHz
};

// Raw little-endian PCM16, or a RIFF/WAVE PCM16 mono file (the "data" chunk is found).
inline std::vector<int16_t> ReadPcm16(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t offset = 0;
  if (bytes.size() > 12 && std::string(bytes.data(), 4) == "RIFF") {
    offset = 12;
    while (offset + 8 <= bytes.size()) {
      const std::string id(bytes.data() + offset, 4);
      uint32_t len;
      std::memcpy(&len, bytes.data() + offset + 4, 4);
      offset += 8;
      if (id == "data") break;
      offset += len + (len & 1);
    }
  }
  std::vector<int16_t> pcm((bytes.size() - std::min(offset, bytes.size())) / 2);
  if (!pcm.empty()) std::memcpy(pcm.data(), bytes.data() + offset, pcm.size() * 2);
  return pcm;
}

// Real human speech: five LibriVox (Sense and Sensibility) utterances and "go forward ten meters".
inline std::vector<Recording> PackagedRecordings() {
  std::vector<Recording> out;
  std::ifstream trans(kTestData + "/librivox/transcription");
  std::string line;
  while (std::getline(trans, line)) {
    const auto open = line.rfind('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    Recording r;
    r.name = line.substr(open + 1, close - open - 1);
    r.transcript = line.substr(0, open);
    r.pcm16k = ReadPcm16(kTestData + "/librivox/" + r.name + ".wav");
    if (!r.pcm16k.empty()) out.push_back(std::move(r));
  }
  Recording go{"goforward", "go forward ten meters", ReadPcm16(kTestData + "/goforward.raw")};
  if (!go.pcm16k.empty()) out.push_back(std::move(go));
  return out;
}

inline nlohmann::json LoadBusiness(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in, nullptr, false);
}

// A resource is a plain name or an object {"name": ..., "skills": [...]}.
inline std::string ResourceName(const nlohmann::json& r) {
  return r.is_string() ? r.get<std::string>() : r.value("name", "");
}

// Biasing phrases from a business config: services, synonyms, staff, and the business name.
inline std::vector<std::string> BusinessPhrases(const nlohmann::json& biz) {
  std::vector<std::string> phrases;
  if (biz.contains("name")) phrases.push_back(biz["name"].get<std::string>());
  for (const auto& s : biz.value("services", nlohmann::json::array())) {
    phrases.push_back(s.value("name", ""));
    for (const auto& syn : s.value("synonyms", nlohmann::json::array())) phrases.push_back(syn.get<std::string>());
  }
  for (const auto& r : biz.value("resources", nlohmann::json::array())) phrases.push_back(ResourceName(r));
  return phrases;
}

// Booking sentences a caller of this business might say, rotating services, days, times.
inline std::vector<std::string> BookingSentences(const nlohmann::json& biz, int count) {
  static const char* kDays[] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
  static const char* kTimes[] = {"three p m", "ten a m", "two thirty", "nine in the morning", "four o'clock",
                                 "eleven a m"};
  const auto& services = biz["services"];
  const auto& resources = biz["resources"];
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    const auto& s = services[i % services.size()];
    const auto& syns = s["synonyms"];
    const std::string syn = syns[(i / services.size()) % syns.size()].get<std::string>();
    const std::string day = kDays[i % 6];
    const std::string time = kTimes[(i * 5 + 1) % 6];
    const std::string who = ResourceName(resources[i % resources.size()]);
    switch (i % 4) {
      case 0: out.push_back(fmt::format("i'd like to book a {} on {} at {}", syn, day, time)); break;
      case 1: out.push_back(fmt::format("can i get a {} with {} next {}", syn, who, day)); break;
      case 2: out.push_back(fmt::format("do you have anything {} afternoon for {}", day, syn)); break;
      default: out.push_back(fmt::format("yes {} at {} works for me", day, time)); break;
    }
  }
  return out;
}

}  // namespace infini::speechdata
