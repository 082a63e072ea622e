// Twilio wire formats: signatures (OpenSSL HMAC-SHA1) and Media Streams JSON. The TwiML
// builders are in the cloud layer (cloud/twiml.cpp), which the REST client shares.
#include "infini/twilio.h"

#include <algorithm>
#include <cctype>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "infini/base64.h"

namespace infini {

std::string TwilioSignature(std::string_view url, const std::map<std::string, std::string>& params,
                            std::string_view auth_token) {
  std::string data(url);
  for (const auto& [name, value] : params) {  // std::map iterates sorted by name (byte order)
    data += name;
    data += value;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha1(), auth_token.data(), static_cast<int>(auth_token.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &mac_len);
  return Base64Encode(std::span<const uint8_t>(mac, mac_len));
}

namespace {

bool SameString(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// The URL with its default port toggled: https://h/x <-> https://h:443/x. "" if not applicable.
std::string TogglePort(std::string_view url) {
  std::string_view scheme;
  std::string_view port;
  if (url.rfind("https://", 0) == 0) {
    scheme = "https://";
    port = ":443";
  } else if (url.rfind("http://", 0) == 0) {
    scheme = "http://";
    port = ":80";
  } else {
    return "";
  }
  const size_t host_start = scheme.size();
  size_t host_end = url.find_first_of("/?#", host_start);
  if (host_end == std::string_view::npos) host_end = url.size();
  std::string_view authority = url.substr(host_start, host_end - host_start);
  std::string out(url.substr(0, host_start));
  if (authority.size() > port.size() && authority.substr(authority.size() - port.size()) == port) {
    out += authority.substr(0, authority.size() - port.size());
  } else if (authority.find(':') == std::string_view::npos) {
    out += authority;
    out += port;
  } else {
    return "";  // a non-default port: nothing to toggle
  }
  out += url.substr(host_end);
  return out;
}

}  // namespace

bool ValidateTwilioSignature(std::string_view url, const std::map<std::string, std::string>& params,
                             std::string_view auth_token, std::string_view signature) {
  if (auth_token.empty() || signature.empty()) return false;
  if (SameString(TwilioSignature(url, params, auth_token), signature)) return true;
  const std::string other = TogglePort(url);
  return !other.empty() && SameString(TwilioSignature(other, params, auth_token), signature);
}

// ---- Media Streams ----

const char* MediaStreamEventName(MediaStreamMessage::Event event) {
  using E = MediaStreamMessage::Event;
  switch (event) {
    case E::kConnected: return "connected";
    case E::kStart: return "start";
    case E::kMedia: return "media";
    case E::kDtmf: return "dtmf";
    case E::kMark: return "mark";
    case E::kStop: return "stop";
    case E::kClear: return "clear";
  }
  return "?";
}

namespace {

using nlohmann::json;

// A string field, or "" when absent. Corruption when present with another type.
Status GetString(const json& obj, const char* key, std::string& out, const char* where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status::OK();
  if (!it->is_string())
    return Status::Corruption(fmt::format("media stream: \"{}\" in {} is not a string", key, where));
  out = it->get<std::string>();
  return Status::OK();
}

// Numbers arrive as strings ("3") or numbers (3).
Status GetInt(const json& obj, const char* key, int64_t& out, const char* where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status::OK();
  if (it->is_number_integer()) {
    out = it->get<int64_t>();
    return Status::OK();
  }
  if (it->is_string()) {
    const std::string& s = it->get_ref<const std::string&>();
    try {
      size_t used = 0;
      out = std::stoll(s, &used);
      if (used == s.size()) return Status::OK();
    } catch (...) {
    }
  }
  return Status::Corruption(fmt::format("media stream: \"{}\" in {} is not an integer: {}", key, where, it->dump()));
}

Result<const json*> GetObject(const json& obj, const char* key, const char* event) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_object())
    return Status::Corruption(fmt::format("media stream: \"{}\" message without a \"{}\" object", event, key));
  return &*it;
}

}  // namespace

Result<MediaStreamMessage> ParseMediaStreamMessage(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Status::Corruption(fmt::format("media stream: malformed JSON ({} bytes): {}", text.size(),
                                          text.substr(0, 80)));
  }
  if (!j.is_object()) return Status::Corruption("media stream: message is not a JSON object");
  std::string event;
  INFINI_RETURN_IF_ERROR(GetString(j, "event", event, "message"));
  if (event.empty()) return Status::Corruption("media stream: message without \"event\"");
  using E = MediaStreamMessage::Event;
  MediaStreamMessage m;
  INFINI_RETURN_IF_ERROR(GetString(j, "streamSid", m.stream_sid, "message"));
  INFINI_RETURN_IF_ERROR(GetInt(j, "sequenceNumber", m.sequence_number, "message"));
  if (event == "connected") {
    m.event = E::kConnected;
    INFINI_RETURN_IF_ERROR(GetString(j, "protocol", m.protocol, "connected"));
    INFINI_RETURN_IF_ERROR(GetString(j, "version", m.version, "connected"));
  } else if (event == "start") {
    m.event = E::kStart;
    auto start = GetObject(j, "start", "start");
    if (!start.ok()) return start.status();
    const json& s = **start;
    INFINI_RETURN_IF_ERROR(GetString(s, "accountSid", m.account_sid, "start"));
    INFINI_RETURN_IF_ERROR(GetString(s, "callSid", m.call_sid, "start"));
    if (m.stream_sid.empty()) INFINI_RETURN_IF_ERROR(GetString(s, "streamSid", m.stream_sid, "start"));
    if (auto t = s.find("tracks"); t != s.end() && t->is_array())
      for (const auto& track : *t)
        if (track.is_string()) m.tracks.push_back(track.get<std::string>());
    if (auto p = s.find("customParameters"); p != s.end() && p->is_object()) {
      for (const auto& [name, value] : p->items())
        m.custom_parameters[name] = value.is_string() ? value.get<std::string>() : value.dump();
    }
    if (auto f = s.find("mediaFormat"); f != s.end() && f->is_object()) {
      INFINI_RETURN_IF_ERROR(GetString(*f, "encoding", m.encoding, "mediaFormat"));
      int64_t rate = m.sample_rate, channels = m.channels;
      INFINI_RETURN_IF_ERROR(GetInt(*f, "sampleRate", rate, "mediaFormat"));
      INFINI_RETURN_IF_ERROR(GetInt(*f, "channels", channels, "mediaFormat"));
      m.sample_rate = static_cast<int>(rate);
      m.channels = static_cast<int>(channels);
    }
  } else if (event == "media") {
    m.event = E::kMedia;
    auto media = GetObject(j, "media", "media");
    if (!media.ok()) return media.status();
    const json& md = **media;
    INFINI_RETURN_IF_ERROR(GetString(md, "track", m.track, "media"));
    INFINI_RETURN_IF_ERROR(GetInt(md, "chunk", m.chunk, "media"));
    INFINI_RETURN_IF_ERROR(GetInt(md, "timestamp", m.timestamp_ms, "media"));
    auto p = md.find("payload");
    if (p == md.end() || !p->is_string())
      return Status::Corruption("media stream: \"media\" message without a string \"payload\"");
    m.payload = p->get<std::string>();
  } else if (event == "dtmf") {
    m.event = E::kDtmf;
    auto dtmf = GetObject(j, "dtmf", "dtmf");
    if (!dtmf.ok()) return dtmf.status();
    INFINI_RETURN_IF_ERROR(GetString(**dtmf, "track", m.track, "dtmf"));
    std::string digit;
    INFINI_RETURN_IF_ERROR(GetString(**dtmf, "digit", digit, "dtmf"));
    if (digit.size() != 1 || std::string_view("0123456789*#ABCD").find(digit[0]) == std::string_view::npos)
      return Status::Corruption(fmt::format("media stream: dtmf digit \"{}\" is not one of 0-9 * # A-D", digit));
    m.digit = digit[0];
  } else if (event == "mark") {
    m.event = E::kMark;
    auto mark = GetObject(j, "mark", "mark");
    if (!mark.ok()) return mark.status();
    INFINI_RETURN_IF_ERROR(GetString(**mark, "name", m.mark_name, "mark"));
  } else if (event == "stop") {
    m.event = E::kStop;
    if (auto s = j.find("stop"); s != j.end() && s->is_object()) {
      INFINI_RETURN_IF_ERROR(GetString(*s, "accountSid", m.account_sid, "stop"));
      INFINI_RETURN_IF_ERROR(GetString(*s, "callSid", m.call_sid, "stop"));
    }
  } else if (event == "clear") {
    m.event = E::kClear;
  } else {
    return Status::NotFound(fmt::format("media stream: unknown event \"{}\"", event.substr(0, 40)));
  }
  return m;
}

std::string FormatMediaStreamMessage(const MediaStreamMessage& m) {
  using E = MediaStreamMessage::Event;
  json j;
  j["event"] = MediaStreamEventName(m.event);
  if (m.sequence_number > 0) j["sequenceNumber"] = std::to_string(m.sequence_number);
  switch (m.event) {
    case E::kConnected:
      j["protocol"] = m.protocol;
      j["version"] = m.version;
      break;
    case E::kStart: {
      json params = json::object();
      for (const auto& [k, v] : m.custom_parameters) params[k] = v;
      j["start"] = {{"accountSid", m.account_sid},
                    {"streamSid", m.stream_sid},
                    {"callSid", m.call_sid},
                    {"tracks", m.tracks.empty() ? std::vector<std::string>{"inbound"} : m.tracks},
                    {"customParameters", params},
                    {"mediaFormat", {{"encoding", m.encoding}, {"sampleRate", m.sample_rate}, {"channels", m.channels}}}};
      break;
    }
    case E::kMedia: {
      json media;
      if (!m.track.empty()) media["track"] = m.track;
      if (m.chunk > 0) media["chunk"] = std::to_string(m.chunk);
      if (!m.track.empty() || m.timestamp_ms > 0) media["timestamp"] = std::to_string(m.timestamp_ms);
      media["payload"] = m.payload;
      j["media"] = media;
      break;
    }
    case E::kDtmf:
      j["dtmf"] = {{"track", m.track.empty() ? "inbound_track" : m.track}, {"digit", std::string(1, m.digit)}};
      break;
    case E::kMark:
      j["mark"] = {{"name", m.mark_name}};
      break;
    case E::kStop:
      j["stop"] = {{"accountSid", m.account_sid}, {"callSid", m.call_sid}};
      break;
    case E::kClear:
      break;
  }
  j["streamSid"] = m.stream_sid;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<std::string_view> FindMediaPayload(std::string_view text) {
  if (text.find("\"event\":\"media\"") == std::string_view::npos) return std::nullopt;
  constexpr std::string_view kKey = "\"payload\":\"";
  const size_t at = text.find(kKey);
  if (at == std::string_view::npos) return std::nullopt;
  const size_t start = at + kKey.size();
  const size_t end = text.find('"', start);
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view payload = text.substr(start, end - start);
  if (payload.find('\\') != std::string_view::npos) return std::nullopt;  // escapes: take the slow path
  return payload;
}

void FormatOutboundMedia(std::string_view stream_sid, std::span<const uint8_t> ulaw, std::string& out) {
  static thread_local std::string b64;
  Base64EncodeTo(ulaw, b64);
  out.clear();
  out += R"({"event":"media","streamSid":")";
  const bool plain = std::all_of(stream_sid.begin(), stream_sid.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  if (plain) {
    out += stream_sid;  // Twilio SIDs are [A-Za-z0-9]: the common case, no escaping
  } else {
    const std::string quoted = nlohmann::json(std::string(stream_sid)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += std::string_view(quoted).substr(1, quoted.size() - 2);
  }
  out += R"(","media":{"payload":")";
  out += b64;
  out += "\"}}";
}

}  // namespace infini
