// The "smtp" messenger against a real SMTP server on 127.0.0.1 (tests/providers/smtp_sink.py,
// Debian's python3-aiosmtpd): the test reads the delivered message and checks headers and body.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "child_process.h"
#include "infini/dialogue.h"
#include "infini/messenger.h"
#include "infini/notify.h"
#include "infini/registry.h"
#include "infini/simulation.h"

namespace fs = std::filesystem;
using namespace infini;

namespace {

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Sink {
  fs::path folder;
  std::unique_ptr<ChildProcess> process;
  std::string port;

  Sink() {
    folder = fs::path(INFINI_TEST_TMP) / ("smtp-sink-" + std::to_string(::getpid()) + "-" +
                                          std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    fs::create_directories(folder);
    process = std::make_unique<ChildProcess>(std::vector<std::string>{
        "/usr/bin/python3", INFINI_SOURCE_DIR "/tests/providers/smtp_sink.py", folder.string()});
    port = process->WaitForLine("PORT ", 10000);
    REQUIRE_MESSAGE(!port.empty(), "the SMTP sink did not start (is python3-aiosmtpd installed? scripts/install-deps)");
  }
  ~Sink() {
    process.reset();
    std::error_code ec;
    fs::remove_all(folder, ec);
  }
  std::string url() const { return "smtp://127.0.0.1:" + port; }

  // The n-th delivered message (1-based): {"eml": raw text, "envelope": json}; waits up to 5 s.
  std::pair<std::string, nlohmann::json> Message(int n) {
    fs::path json = folder / (std::to_string(n) + ".json");
    for (int i = 0; i < 250 && !fs::exists(json); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    REQUIRE_MESSAGE(fs::exists(json), "no message " << n << " delivered");
    return {ReadFile(folder / (std::to_string(n) + ".eml")), nlohmann::json::parse(ReadFile(json))};
  }
};

std::unique_ptr<Messenger> Smtp(const std::string& url) {
  auto made = ProviderRegistry::Builtin().Make<Messenger>(nlohmann::json{
      {"name", "smtp"}, {"url", url}, {"from", "Polar Bear Desk <desk@polarbear.test>"}, {"tls", "none"},
      {"timeout_ms", 5000}, {"helo", "infini.test"}});
  REQUIRE_MESSAGE(made.ok(), made.status().ToString());
  return std::move(made).value();
}

// The value of header `name` in `eml` ("" if absent); folded lines joined.
std::string Header(const std::string& eml, const std::string& name) {
  std::string head = eml.substr(0, eml.find("\r\n\r\n"));
  std::istringstream in(head);
  std::string line, value;
  bool in_it = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (in_it && !line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      value += line;
      continue;
    }
    if (in_it) break;
    if (line.rfind(name + ": ", 0) == 0) {
      value = line.substr(name.size() + 2);
      in_it = true;
    }
  }
  return value;
}

bool Has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("smtp messenger delivers a message with the right envelope, headers and body") {
  Sink sink;
  auto mail = Smtp(sink.url());
  CHECK(mail->name() == "smtp");
  Message m;
  m.kind = Message::Kind::kEmail;
  m.to = "owner@polarbear.test";
  m.subject = "Polar Bear: Booked: AC repair";
  m.body = "Line one\n.starts with a dot\n\nTranscript: https://dash.example.com/calls/c1\n";
  m.call_id = "c1";
  auto id = mail->Send(m);
  REQUIRE_MESSAGE(id.ok(), id.status().ToString());
  auto [eml, env] = sink.Message(1);
  INFO(eml);
  CHECK(env["mail_from"] == "desk@polarbear.test");
  CHECK(env["rcpt_tos"] == nlohmann::json::array({"owner@polarbear.test"}));
  CHECK(env["helo"] == "infini.test");
  CHECK(Header(eml, "From") == "Polar Bear Desk <desk@polarbear.test>");
  CHECK(Header(eml, "To") == "owner@polarbear.test");
  CHECK(Header(eml, "Subject") == "Polar Bear: Booked: AC repair");
  CHECK(Header(eml, "Message-ID") == id.value());
  CHECK(Header(eml, "X-Infini-Call-Id") == "c1");
  CHECK(Header(eml, "Content-Type") == "text/plain; charset=utf-8");
  CHECK_FALSE(Header(eml, "Date").empty());
  std::string body = eml.substr(eml.find("\r\n\r\n") + 4);
  // CRLF line ends, and the dot line arrives intact (dot-stuffed on the wire, unstuffed by the server).
  CHECK(body == "Line one\r\n.starts with a dot\r\n\r\nTranscript: https://dash.example.com/calls/c1\r\n");
}

TEST_CASE("smtp messenger: a UTF-8 subject is RFC 2047 encoded; bad input and a dead server are errors") {
  Sink sink;
  auto mail = Smtp(sink.url());
  Message m;
  m.kind = Message::Kind::kEmail;
  m.to = "Owner <owner@cafe.test>";
  m.subject = "Café Lumière: Booked";
  m.body = "Olá";
  REQUIRE(mail->Send(m).ok());
  auto [eml, env] = sink.Message(1);
  CHECK(env["rcpt_tos"] == nlohmann::json::array({"owner@cafe.test"}));
  CHECK(Header(eml, "Subject") == "=?UTF-8?B?Q2Fmw6kgTHVtacOocmU6IEJvb2tlZA==?=");
  CHECK(Has(eml, "\r\n\r\nOl\xC3\xA1\r\n"));

  Message sms = m;
  sms.kind = Message::Kind::kSms;
  CHECK(mail->Send(sms).status().IsInvalidArgument());
  Message inject = m;
  inject.subject = "hi\r\nBcc: victim@x.test";
  CHECK(mail->Send(inject).status().IsInvalidArgument());
  Message bad = m;
  bad.to = "nobody";
  CHECK(mail->Send(bad).status().IsInvalidArgument());

  // A port nobody listens on: Unavailable, naming the URL; no crash, no hang.
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  int dead_port = ntohs(a.sin_port);
  ::close(s);
  auto dead = Smtp("smtp://127.0.0.1:" + std::to_string(dead_port));
  auto r = dead->Send(m);
  CHECK(r.status().IsUnavailable());
  CHECK(Has(r.status().message(), "127.0.0.1:" + std::to_string(dead_port)));

  CHECK(ProviderRegistry::Builtin().Make<Messenger>(nlohmann::json{{"name", "smtp"}, {"url", "http://x"}, {"from", "a@b.c"}})
            .status()
            .IsInvalidArgument());
  CHECK(ProviderRegistry::Builtin().Make<Messenger>(nlohmann::json{{"name", "smtp"}, {"url", "smtp://x"}})
            .status()
            .IsInvalidArgument());
}

TEST_CASE("a booked call's owner summary arrives by e-mail through the real SMTP server") {
  Sink sink;
  auto mail = Smtp(sink.url());
  auto j = nlohmann::json::parse(ReadFile(std::string(INFINI_TEST_DATA) + "/businesses/hvac.json"));
  j["notifications"] = {{"owner_email", "owner@polarbear.test"}, {"channels", {"email"}},
                        {"dashboard_url", "https://dash.example.com"}};
  auto biz = ParseBusinessConfig(j.dump(), "hvac.json");
  REQUIRE_MESSAGE(biz.ok(), biz.status().ToString());
  auto calendar = NewMemoryCalendar();
  auto outbox = NewOutboxMessenger();
  CallNotifier notifier(biz.value(), outbox.get(), mail.get());
  ConversationOptions o;
  o.caller_phone = "+15125557788";
  o.call_id = "CA-77";
  o.now_utc = LocalTimeToUtc("2026-12-08T10:15:00", biz.value().timezone).value();
  o.on_end = notifier.Hook({.call_id = "CA-77", .caller_phone = "+15125557788", .started_utc = o.now_utc});
  Conversation call(biz.value(), *calendar, outbox.get(), o);
  call.Start();
  for (const char* line : {"AC repair tomorrow at nine a m please", "John Smith",
                           "five one two five five five seven seven eight eight", "1200 Oak Street",
                           "Yes, that's right.", "No, that's all, thanks."})
    call.OnUtterance(line);
  REQUIRE(call.ended());
  REQUIRE(call.outcome().outcome == "booked");
  notifier.Flush();
  auto attempts = notifier.attempts();
  REQUIRE(attempts.size() == 1);
  CHECK_MESSAGE(attempts[0].status.ok(), attempts[0].status.ToString());
  auto [eml, env] = sink.Message(1);
  INFO(eml);
  CHECK(env["rcpt_tos"] == nlohmann::json::array({"owner@polarbear.test"}));
  CHECK(Header(eml, "Subject") ==
        "Polar Bear Heating and Cooling: Booked: AC repair, Wednesday, December 9 at 9 AM with Tech 1 - John Smith "
        "(512-555-7788)");
  CHECK(Header(eml, "X-Infini-Call-Id") == "CA-77");
  CHECK(Has(eml, "Outcome: booked\r\n"));
  CHECK(Has(eml, "Caller: John Smith (512-555-7788)\r\n"));
  CHECK(Has(eml, "Booking: AC repair, Wednesday, December 9 at 9 AM with Tech 1"));
  CHECK(Has(eml, "Address: 1200 Oak Street\r\n"));
  CHECK(Has(eml, "Call started: 2026-12-08T10:15 (America/Chicago)\r\n"));
  CHECK(Has(eml, "Transcript: https://dash.example.com/calls/CA-77\r\n"));
}
