// E-mail over SMTP with libcurl: the "smtp" messenger provider (docs/notifications.md).
//
//   auto mail = infini::ProviderRegistry::Builtin().Make<infini::Messenger>(nlohmann::json::parse(
//       R"({"name": "smtp", "url": "smtp://mail.example.com:587", "from": "Receptionist <desk@example.com>",
//           "username": "desk@example.com", "password_env": "INFINI_SMTP_PASSWORD", "tls": "required"})"));
//
// Config keys: url (smtp:// or smtps://, required), from (required), username, password or
// password_env (an environment variable holding it), tls ("none", "try" (default), "required"),
// timeout_ms (default 15000), helo (the name sent in EHLO, default "localhost").
// Only Message::Kind::kEmail. Each Send() uses its own curl handle: thread-safe, blocking.
#include <cctype>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <random>
#include <string>

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include "infini/base64.h"
#include "infini/messenger.h"
#include "infini/status.h"

namespace infini {
namespace providers {
namespace {

struct SmtpConfig {
  std::string url;
  std::string from;          // "Name <addr>" or "addr"
  std::string from_address;  // addr
  std::string username;
  std::string password;
  std::string tls = "try";
  long timeout_ms = 15000;
  std::string helo = "localhost";
};

bool HasLineBreak(const std::string& s) { return s.find_first_of("\r\n") != std::string::npos; }

// The bare address of "Name <addr>" or "addr"; "" when it does not look like one.
std::string AddressOf(const std::string& s) {
  std::string addr = s;
  auto lt = s.find('<');
  if (lt != std::string::npos) {
    auto gt = s.find('>', lt);
    if (gt == std::string::npos) return "";
    addr = s.substr(lt + 1, gt - lt - 1);
  }
  auto at = addr.find('@');
  if (at == std::string::npos || at == 0 || at + 1 >= addr.size()) return "";
  if (addr.find_first_of(" \t\r\n<>,;\"") != std::string::npos) return "";
  return addr;
}

// RFC 2047 for a header value with non-ASCII bytes (UTF-8 assumed), else as is.
std::string EncodeHeader(const std::string& value) {
  bool ascii = true;
  for (unsigned char c : value)
    if (c >= 0x80) ascii = false;
  if (ascii) return value;
  // Encoded words of at most ~45 input bytes, split on UTF-8 character boundaries.
  std::string out;
  size_t i = 0;
  while (i < value.size()) {
    size_t n = std::min<size_t>(45, value.size() - i);
    while (i + n < value.size() && (static_cast<unsigned char>(value[i + n]) & 0xC0) == 0x80) --n;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64Encode(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(value.data() + i), n)) + "?=";
    i += n;
  }
  return out;
}

std::string RfcDate() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string NewMessageId(const std::string& from_address) {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  uint64_t r;
  {
    std::lock_guard<std::mutex> lock(mu);
    r = rng();
  }
  auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::system_clock::now().time_since_epoch()).count();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%llx.%016llx", static_cast<unsigned long long>(now),
                static_cast<unsigned long long>(r));
  return std::string("<infini.") + buf + "@" + from_address.substr(from_address.find('@') + 1) + ">";
}

// Body lines end in CRLF (SMTP); libcurl dot-stuffs lines that start with '.'.
std::string CrlfBody(const std::string& body) {
  std::string out;
  out.reserve(body.size() + body.size() / 32 + 2);
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\r') {
      if (i + 1 < body.size() && body[i + 1] == '\n') ++i;
      out += "\r\n";
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

struct Upload {
  const std::string* data;
  size_t pos = 0;
};

size_t ReadBody(char* buffer, size_t size, size_t nitems, void* user) {
  auto* up = static_cast<Upload*>(user);
  size_t room = size * nitems;
  size_t n = std::min(room, up->data->size() - up->pos);
  std::memcpy(buffer, up->data->data() + up->pos, n);
  up->pos += n;
  return n;
}

class SmtpMessenger : public Messenger {
 public:
  explicit SmtpMessenger(SmtpConfig config) : config_(std::move(config)) {}

  Result<std::string> Send(const Message& m) override {
    if (m.kind != Message::Kind::kEmail) return Status::InvalidArgument("smtp messenger: only e-mail messages");
    if (m.to.empty()) return Status::InvalidArgument("smtp messenger: empty recipient");
    if (m.body.empty()) return Status::InvalidArgument("smtp messenger: empty body");
    const std::string to = AddressOf(m.to);
    if (to.empty() || HasLineBreak(m.to)) return Status::InvalidArgument("smtp messenger: bad recipient '" + m.to + "'");
    if (HasLineBreak(m.subject)) return Status::InvalidArgument("smtp messenger: line break in the subject");

    const std::string id = NewMessageId(config_.from_address);
    std::string text;
    text += "Date: " + RfcDate() + "\r\n";
    text += "From: " + EncodeHeader(config_.from) + "\r\n";
    text += "To: " + m.to + "\r\n";
    text += "Subject: " + EncodeHeader(m.subject.empty() ? std::string("(no subject)") : m.subject) + "\r\n";
    text += "Message-ID: " + id + "\r\n";
    if (!m.call_id.empty() && !HasLineBreak(m.call_id)) text += "X-Infini-Call-Id: " + m.call_id + "\r\n";
    text += "MIME-Version: 1.0\r\n";
    text += "Content-Type: text/plain; charset=utf-8\r\n";
    text += "Content-Transfer-Encoding: 8bit\r\n";
    text += "\r\n";
    text += CrlfBody(m.body);

    CURL* curl = curl_easy_init();
    if (!curl) return Status::Internal("smtp messenger: curl_easy_init failed");
    char error[CURL_ERROR_SIZE] = {0};
    Upload up{&text};
    curl_slist* rcpt = curl_slist_append(nullptr, ("<" + to + ">").c_str());
    std::string mail_from = "<" + config_.from_address + ">";
    curl_easy_setopt(curl, CURLOPT_URL, config_.url.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, &ReadBody);
    curl_easy_setopt(curl, CURLOPT_READDATA, &up);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(text.size()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, config_.timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::min(config_.timeout_ms, 10000L));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    if (config_.tls == "required") curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    else if (config_.tls == "try") curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
    if (!config_.username.empty()) {
      curl_easy_setopt(curl, CURLOPT_USERNAME, config_.username.c_str());
      curl_easy_setopt(curl, CURLOPT_PASSWORD, config_.password.c_str());
    }
    CURLcode rc = curl_easy_perform(curl);
    long response = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK) {
      std::string why = error[0] ? error : curl_easy_strerror(rc);
      std::string what = "smtp messenger: sending to " + to + " via " + config_.url + " failed: " + why +
                         (response ? " (SMTP " + std::to_string(response) + ")" : "");
      if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_COULDNT_RESOLVE_HOST)
        return Status::Unavailable(what);
      if (rc == CURLE_LOGIN_DENIED) return Status::PermissionDenied(what);
      return Status::Unavailable(what);
    }
    return id;
  }

  std::string name() const override { return "smtp"; }

 private:
  SmtpConfig config_;
};

}  // namespace

Result<std::unique_ptr<Messenger>> MakeSmtpMessenger(const nlohmann::json& config) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  SmtpConfig c;
  auto str = [&](const char* key, std::string* out, bool required) -> Status {
    auto it = config.find(key);
    if (it == config.end() || it->is_null()) {
      return required ? Status::InvalidArgument(std::string("smtp messenger: \"") + key + "\" is required")
                      : Status::OK();
    }
    if (!it->is_string()) return Status::InvalidArgument(std::string("smtp messenger: \"") + key + "\" must be a string");
    *out = it->get<std::string>();
    return Status::OK();
  };
  if (auto st = str("url", &c.url, true); !st.ok()) return st;
  if (c.url.rfind("smtp://", 0) != 0 && c.url.rfind("smtps://", 0) != 0)
    return Status::InvalidArgument("smtp messenger: \"url\" must start with smtp:// or smtps://, not '" + c.url + "'");
  if (auto st = str("from", &c.from, true); !st.ok()) return st;
  c.from_address = AddressOf(c.from);
  if (c.from_address.empty() || HasLineBreak(c.from))
    return Status::InvalidArgument("smtp messenger: \"from\" is not an address like desk@example.com: '" + c.from + "'");
  if (auto st = str("username", &c.username, false); !st.ok()) return st;
  if (auto st = str("password", &c.password, false); !st.ok()) return st;
  std::string env;
  if (auto st = str("password_env", &env, false); !st.ok()) return st;
  if (!env.empty()) {
    const char* v = std::getenv(env.c_str());
    if (!v) return Status::InvalidArgument("smtp messenger: environment variable " + env + " (password_env) is not set");
    c.password = v;
  }
  if (auto st = str("tls", &c.tls, false); !st.ok()) return st;
  if (c.tls != "none" && c.tls != "try" && c.tls != "required")
    return Status::InvalidArgument("smtp messenger: \"tls\" must be \"none\", \"try\" or \"required\", not '" + c.tls + "'");
  if (auto st = str("helo", &c.helo, false); !st.ok()) return st;
  if (auto it = config.find("timeout_ms"); it != config.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() <= 0 || it->get<int64_t>() > 600000)
      return Status::InvalidArgument("smtp messenger: \"timeout_ms\" must be 1..600000");
    c.timeout_ms = it->get<long>();
  }
  // EHLO name: libcurl takes it as the URL path ("smtp://host:port/<helo>").
  auto scheme_end = c.url.find("://") + 3;
  if (c.url.find('/', scheme_end) == std::string::npos) c.url += "/" + c.helo;
  return std::unique_ptr<Messenger>(std::make_unique<SmtpMessenger>(std::move(c)));
}

}  // namespace providers
}  // namespace infini
