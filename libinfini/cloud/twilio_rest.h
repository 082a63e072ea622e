// Twilio REST API client (internal): send an SMS, redirect a live call to new TwiML.
//
//   auto twilio = cloud::TwilioRest::FromConfig({{"from", "+15125550100"}});  // sid/token from env
//   auto sms = twilio->SendSms("+15125557788", "Booked: haircut Tue 3 pm");  // sms->sid, segments
//   twilio->UpdateCall("CA...", "<Response><Hangup/></Response>");
//
// Requests: POST {base}/2010-04-01/Accounts/{sid}/Messages.json and .../Calls/{CallSid}.json,
// application/x-www-form-urlencoded, HTTP basic auth sid:token. 429 and 5xx are retried with
// exponential backoff (Retry-After honoured); other 4xx are returned at once as a Status
// carrying Twilio's error code and message. Thread-safe; the auth token is never logged.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "cloud/voice_common.h"
#include "infini/status.h"
#include "net/http_client.h"

namespace infini::cloud {

struct TwilioConfig {
  std::string base_url = "https://api.twilio.com";
  std::string account_sid;            // "account_sid" or env TWILIO_ACCOUNT_SID ("account_sid_env")
  std::string auth_token;             // env TWILIO_AUTH_TOKEN ("auth_token_env"); never in config
  std::string from;                   // "from": E.164 sender, or env TWILIO_FROM_NUMBER ("from_env")
  std::string messaging_service_sid;  // "messaging_service_sid": used instead of From when set
  std::string status_callback;        // "status_callback": URL for delivery receipts (optional)
  int timeout_ms = 8000;
  int connect_timeout_ms = 3000;
  RetryPolicy retry;                  // "retries" (extra tries, default 2), "retry_base_ms", "retry_max_ms"
};

struct TwilioMessage {
  std::string sid;     // "SM..."
  std::string status;  // Twilio's: queued, accepted, sending, sent, ...
  int segments = 1;    // num_segments (Twilio's count; computed locally when absent)
};

class TwilioRest {
 public:
  // InvalidArgument for a malformed config; NotFound when the account SID or token is missing.
  static Result<TwilioRest> FromConfig(const nlohmann::json& config);
  explicit TwilioRest(TwilioConfig config) : config_(std::move(config)) {}

  Result<TwilioMessage> SendSms(const std::string& to, const std::string& body) const;
  // Replaces what a live call is doing with `twiml` (its Twiml parameter). NotFound when the
  // call does not exist; InvalidArgument when Twilio rejects the TwiML (e.g. the call ended).
  Status UpdateCall(const std::string& call_sid, const std::string& twiml) const;

  // Call control: <Dial>target</Dial> (a "sip:" target dials a <Sip>) or <Hangup/>, with an
  // optional <Say> first (infini::DialTwiml / HangupTwiml). With `action_url` the <Dial> gets
  // action="..." method="POST" (Twilio posts DialCallStatus there when the dial ends) and,
  // when > 0, timeout="timeout_seconds".
  Status Transfer(const std::string& call_sid, const std::string& target, const std::string& say = "",
                  const std::string& action_url = "", int timeout_seconds = 0) const;
  Status Hangup(const std::string& call_sid, const std::string& say = "") const;

  const TwilioConfig& config() const { return config_; }

 private:
  Result<nlohmann::json> Post(const std::string& path, const std::string& form, const std::string& what) const;
  TwilioConfig config_;
  net::HttpClient http_;
};

// SMS segments for `body` by the GSM 03.38 / UCS-2 rules (160/153 or 70/67 characters).
int SmsSegments(const std::string& body);

}  // namespace infini::cloud
