#include "cloud/twilio_rest.h"

#include <algorithm>
#include <cctype>

#include "infini/base64.h"
#include "infini/http.h"
#include "infini/log.h"
#include "infini/twilio.h"

namespace infini::cloud {
namespace {

bool IsSid(const std::string& s, std::string_view prefix) {
  if (s.size() < prefix.size() + 1 || s.compare(0, prefix.size(), prefix) != 0) return false;
  return std::all_of(s.begin() + prefix.size(), s.end(), [](unsigned char c) { return std::isalnum(c); });
}

// Twilio error bodies: {"code": 21211, "message": "...", "more_info": "...", "status": 400}.
std::string TwilioError(const net::HttpClientResponse& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("message") && j["message"].is_string()) {
    std::string code = j.contains("code") && j["code"].is_number_integer()
                           ? fmt::format(" (Twilio error {})", j["code"].get<int64_t>())
                           : "";
    return fmt::format("HTTP {}{}: {}", r.status, code, j["message"].get<std::string>());
  }
  std::string body = r.body.substr(0, 160);
  for (char& c : body)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return fmt::format("HTTP {}: {}", r.status, body.empty() ? "(empty body)" : body);
}

// Code points of UTF-8 text (invalid bytes count as one U+FFFD each).
std::vector<char32_t> CodePoints(const std::string& s) {
  std::vector<char32_t> out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = s[i];
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += len;
  }
  return out;
}

bool GsmBasic(char32_t c) {
  static const std::u32string extra = U"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà";
  if ((c >= U'0' && c <= U'9') || (c >= U'A' && c <= U'Z') || (c >= U'a' && c <= U'z')) return true;
  return extra.find(c) != std::u32string::npos;
}
bool GsmExtension(char32_t c) { return std::u32string_view(U"^{}\\[~]|€\f").find(c) != std::u32string_view::npos; }

}  // namespace

int SmsSegments(const std::string& body) {
  const auto cps = CodePoints(body);
  bool gsm = true;
  size_t septets = 0, units = 0;
  for (char32_t c : cps) {
    if (GsmBasic(c)) septets += 1;
    else if (GsmExtension(c)) septets += 2;
    else gsm = false;
    units += c > 0xFFFF ? 2 : 1;
  }
  if (gsm) return septets <= 160 ? 1 : static_cast<int>((septets + 152) / 153);
  return units <= 70 ? 1 : static_cast<int>((units + 66) / 67);
}

Result<TwilioRest> TwilioRest::FromConfig(const nlohmann::json& config) {
  if (!config.is_object()) return Status::InvalidArgument("twilio: config must be an object");
  TwilioConfig c;
  c.base_url = TrimBaseUrl(ConfigString(config, "base_url", c.base_url));
  const char* env_sid = std::getenv("TWILIO_ACCOUNT_SID");
  c.account_sid = ConfigString(config, "account_sid", env_sid ? env_sid : "");
  if (c.account_sid.empty())
    return Status::NotFound("twilio: no account SID (set \"account_sid\" in the config or TWILIO_ACCOUNT_SID)");
  if (!IsSid(c.account_sid, "AC"))
    return Status::InvalidArgument(fmt::format("twilio: account SID must look like AC followed by letters and "
                                               "digits (got {} characters)", c.account_sid.size()));
  auto token = SecretFromEnv(config, "twilio", "auth_token_env", "TWILIO_AUTH_TOKEN", "auth_token");
  if (!token.ok()) return token.status();
  c.auth_token = std::move(token).value();
  const char* env_from = std::getenv("TWILIO_FROM_NUMBER");
  c.from = ConfigString(config, "from", env_from ? env_from : "");
  c.messaging_service_sid = ConfigString(config, "messaging_service_sid", "");
  c.status_callback = ConfigString(config, "status_callback", "");
  c.timeout_ms = ConfigInt(config, "timeout_ms", c.timeout_ms);
  c.connect_timeout_ms = ConfigInt(config, "connect_timeout_ms", c.connect_timeout_ms);
  c.retry.max_attempts = 1 + std::max(0, ConfigInt(config, "retries", 2));
  c.retry.base_delay_ms = ConfigInt(config, "retry_base_ms", c.retry.base_delay_ms);
  c.retry.max_delay_ms = ConfigInt(config, "retry_max_ms", c.retry.max_delay_ms);
  return TwilioRest(std::move(c));
}

Result<nlohmann::json> TwilioRest::Post(const std::string& path, const std::string& form,
                                        const std::string& what) const {
  net::HttpClientRequest req;
  req.method = "POST";
  req.url = fmt::format("{}/2010-04-01/Accounts/{}/{}", config_.base_url, config_.account_sid, path);
  req.headers = {{"content-type", "application/x-www-form-urlencoded"}, {"accept", "application/json"}};
  req.body = form;
  req.timeout_ms = config_.timeout_ms;
  req.connect_timeout_ms = config_.connect_timeout_ms;
  const std::string credentials = config_.account_sid + ":" + config_.auth_token;
  req.headers["authorization"] =
      "Basic " + Base64Encode(std::span(reinterpret_cast<const uint8_t*>(credentials.data()), credentials.size()));
  int attempts = 0;
  auto r = SendWithRetry(http_, req, config_.retry, "twilio: " + what, &attempts);
  if (!r.ok()) return Prefixed(r.status(), "twilio: " + what);
  if (r->status < 200 || r->status >= 300) {
    std::string msg = fmt::format("twilio: {}: {}", what, TwilioError(*r));
    if (r->status == 429 || r->status >= 500)
      return Status::Unavailable(fmt::format("{} (after {} attempt{})", msg, attempts, attempts == 1 ? "" : "s"));
    if (r->status == 401 || r->status == 403) return Status::PermissionDenied(msg);
    if (r->status == 404) return Status::NotFound(msg);
    return Status::InvalidArgument(msg);
  }
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (!j.is_object() || !j.contains("sid") || !j["sid"].is_string())
    return Status::Corruption(fmt::format("twilio: {}: HTTP {} but the body is not a Twilio resource: {:.120}", what,
                                          r->status, r->body));
  return j;
}

Result<TwilioMessage> TwilioRest::SendSms(const std::string& to, const std::string& body) const {
  if (to.empty() || body.empty()) return Status::InvalidArgument("twilio: SMS needs a recipient and a body");
  if (config_.from.empty() && config_.messaging_service_sid.empty())
    return Status::InvalidArgument("twilio: no sender: set \"from\" (or TWILIO_FROM_NUMBER) or \"messaging_service_sid\"");
  std::string form = "To=" + PercentEncode(to) + "&Body=" + PercentEncode(body);
  if (!config_.messaging_service_sid.empty()) form += "&MessagingServiceSid=" + PercentEncode(config_.messaging_service_sid);
  else form += "&From=" + PercentEncode(config_.from);
  if (!config_.status_callback.empty()) form += "&StatusCallback=" + PercentEncode(config_.status_callback);
  auto j = Post("Messages.json", form, "send SMS to " + to);
  if (!j.ok()) return j.status();
  TwilioMessage m;
  m.sid = (*j)["sid"].get<std::string>();
  m.status = j->value("status", std::string("queued"));
  m.segments = SmsSegments(body);
  if (auto s = j->find("num_segments"); s != j->end()) {
    // A string in Twilio's JSON ("1"); 0 while a Messaging Service has not picked a sender.
    int n = 0;
    if (s->is_string()) n = std::atoi(s->get<std::string>().c_str());
    else if (s->is_number_integer()) n = s->get<int>();
    if (n > 0) m.segments = n;
  }
  if (m.status == "failed" || m.status == "undelivered") {
    std::string err = j->contains("error_message") && (*j)["error_message"].is_string()
                          ? (*j)["error_message"].get<std::string>()
                          : "no reason given";
    return Status::Unavailable(fmt::format("twilio: SMS {} to {} {}: {}", m.sid, to, m.status, err));
  }
  INFINI_LOG(kInfo, "twilio: SMS {} to {} {} ({} segment{})", m.sid, to, m.status, m.segments,
             m.segments == 1 ? "" : "s");
  return m;
}

Status TwilioRest::UpdateCall(const std::string& call_sid, const std::string& twiml) const {
  if (!IsSid(call_sid, "CA"))
    return Status::InvalidArgument(fmt::format("twilio: \"{:.40}\" is not a call SID (CA...)", call_sid));
  auto j = Post(fmt::format("Calls/{}.json", call_sid), "Twiml=" + PercentEncode(twiml), "update call " + call_sid);
  if (!j.ok()) return j.status();
  INFINI_LOG(kInfo, "twilio: call {} redirected (status {})", call_sid, j->value("status", std::string("?")));
  return Status::OK();
}

Status TwilioRest::Transfer(const std::string& call_sid, const std::string& target, const std::string& say,
                            const std::string& action_url, int timeout_seconds) const {
  if (target.empty()) return Status::InvalidArgument("twilio: transfer needs a target number or SIP URI");
  return UpdateCall(call_sid, DialTwiml(target, say,
                                        {.action_url = action_url, .timeout_seconds = timeout_seconds,
                                         .xml_declaration = false}));
}

Status TwilioRest::Hangup(const std::string& call_sid, const std::string& say) const {
  return UpdateCall(call_sid, HangupTwiml(say, /*xml_declaration=*/false));
}

}  // namespace infini::cloud
