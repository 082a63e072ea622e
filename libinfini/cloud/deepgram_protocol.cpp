#include "cloud/deepgram_protocol.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cloud/voice_common.h"
#include "infini/http.h"

namespace infini::cloud {
namespace {

const std::set<std::string>& CommonWords() {
  static const std::set<std::string> words = {
      "the", "and", "for", "you", "yes", "not", "but", "are", "can", "with", "this", "that", "have", "from",
      "what", "when", "will", "would", "like", "want", "need", "please", "okay", "yeah", "thanks", "thank",
      "one", "two", "six", "ten", "any", "all", "get", "got", "our", "your", "was", "has"};
  return words;
}

std::string Excerpt(std::string_view text) {
  std::string s(text.substr(0, 80));
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return s;
}

}  // namespace

std::string DeepgramListenUrl(const DeepgramSettings& s, const RecognizerHints& hints) {
  std::string url = TrimBaseUrl(s.base_url) + "/v1/listen?";
  auto add = [&url](std::string_view key, std::string_view value) {
    if (url.back() != '?') url += '&';
    url += PercentEncode(key);
    url += '=';
    url += PercentEncode(value);
  };
  add("model", s.model);
  if (!s.language.empty()) add("language", s.language);
  add("encoding", s.encoding);
  add("sample_rate", std::to_string(s.sample_rate));
  add("channels", "1");
  add("interim_results", s.interim_results ? "true" : "false");
  add("endpointing", s.endpointing_ms > 0 ? std::to_string(s.endpointing_ms) : "false");
  const bool nova3 = s.model.rfind("nova-3", 0) == 0;
  std::set<std::string> seen;
  int added = 0;
  for (const auto& phrase : hints.phrases) {
    const std::string norm = NormalizeTranscript(phrase);
    if (norm.empty()) continue;
    if (nova3) {
      if (added >= s.max_keywords || !seen.insert(norm).second) continue;
      add("keyterm", norm);
      ++added;
      continue;
    }
    size_t pos = 0;
    while (pos < norm.size() && added < s.max_keywords) {
      size_t end = norm.find(' ', pos);
      if (end == std::string::npos) end = norm.size();
      std::string word = norm.substr(pos, end - pos);
      pos = end + 1;
      const bool alpha = std::all_of(word.begin(), word.end(),
                                     [](unsigned char c) { return std::isalpha(c) || c == '\'' || c >= 0x80; });
      if (word.size() < 3 || !alpha || CommonWords().count(word) || !seen.insert(word).second) continue;
      add("keywords", fmt::format("{}:{:g}", word, s.keyword_boost));
      ++added;
    }
  }
  for (const auto& [k, v] : s.extra) add(k, v);
  return url;
}

Result<DeepgramMessage> ParseDeepgramMessage(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
    return Status::Corruption(fmt::format("deepgram: message is not a JSON object with a \"type\": \"{}\"", Excerpt(text)));
  DeepgramMessage m;
  m.type = j["type"].get<std::string>();
  auto num = [](const nlohmann::json& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->is_number() ? it->get<double>() : 0.0;
  };
  auto flag = [](const nlohmann::json& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->is_boolean() && it->get<bool>();
  };
  if (m.type == "Results") {
    const auto ch = j.find("channel");
    const nlohmann::json* alt = nullptr;
    if (ch != j.end() && ch->is_object()) {
      auto alts = ch->find("alternatives");
      if (alts != ch->end() && alts->is_array() && !alts->empty() && (*alts)[0].is_object()) alt = &(*alts)[0];
    }
    if (!alt || !alt->contains("transcript") || !(*alt)["transcript"].is_string())
      return Status::Corruption(
          fmt::format("deepgram: Results without channel.alternatives[0].transcript: \"{}\"", Excerpt(text)));
    m.transcript = (*alt)["transcript"].get<std::string>();
    m.confidence = num(*alt, "confidence");
    m.is_final = flag(j, "is_final");
    m.speech_final = flag(j, "speech_final");
    m.from_finalize = flag(j, "from_finalize");
    m.start = num(j, "start");
    m.duration = num(j, "duration");
    if (auto w = alt->find("words"); w != alt->end() && w->is_array()) {
      for (const auto& word : *w) {
        if (!word.is_object()) continue;
        DeepgramWord dw;
        if (auto p = word.find("punctuated_word"); p != word.end() && p->is_string()) dw.word = p->get<std::string>();
        else if (auto p2 = word.find("word"); p2 != word.end() && p2->is_string()) dw.word = p2->get<std::string>();
        if (dw.word.empty()) continue;
        dw.start = num(word, "start");
        dw.end = num(word, "end");
        dw.confidence = num(word, "confidence");
        m.words.push_back(std::move(dw));
      }
    }
  } else if (m.type == "Error") {
    for (const char* key : {"description", "message", "variant"})
      if (auto it = j.find(key); it != j.end() && it->is_string() && !it->get<std::string>().empty()) {
        m.error = it->get<std::string>();
        break;
      }
    if (m.error.empty()) m.error = Excerpt(text);
  }
  return m;
}

}  // namespace infini::cloud
