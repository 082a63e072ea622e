// CallControl: changing a live phone call from outside its media stream — transfer to a
// human, hang up. For Twilio this is the REST "update call" with new TwiML (<Dial>, <Hangup>).
//
//   std::shared_ptr<infini::CallControl> control = MakeTwilioCallControl(...);  // cloud layer
//   server_options.call_control = control;       // infini/server.h
//   control->Transfer("CA123...", "+15125550199");
//
// The server records every request in the store (an action row: "transfer" or "hangup",
// with the target and this control's answer) and then ends the call's media stream,
// whether or not a CallControl is configured; without one (or when it fails), ending
// the stream is all that happens: Twilio then runs the TwiML after <Connect>, which
// for our webhook is nothing, so the call ends.
// Threading: implementations must be thread-safe (called from the server's workers)
// and may block (a REST request).
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "infini/status.h"

namespace infini {

class CallControl {
 public:
  virtual ~CallControl() = default;
  // Connect the caller to `target` (E.164 number or SIP URI). `call_sid` is the
  // provider's call id (Twilio CallSid).
  virtual Status Transfer(const std::string& call_sid, const std::string& target) = 0;
  // End the call.
  virtual Status Hangup(const std::string& call_sid) = 0;
  // A transfer whose result comes back: like Transfer, and the provider reports whether
  // `target` answered by requesting `options.action_url` (Twilio: <Dial action="..."
  // method="POST" timeout="..."> posts DialCallStatus there when the dial ends; the server's
  // POST /twilio/dial-status then resumes an unanswered call). The default ignores `options`
  // and calls Transfer: the host never learns that no one answered.
  struct DialOptions {
    std::string action_url;    // "" = no result wanted
    int timeout_seconds = 20;  // ring this long before the result is "no-answer"
  };
  virtual Status Dial(const std::string& call_sid, const std::string& target, const DialOptions& options) {
    (void)options;
    return Transfer(call_sid, target);
  }
  virtual std::string name() const = 0;  // for the action row and logs, e.g. "twilio-rest"
};

// "twilio-rest": POST .../Calls/{CallSid}.json with Twiml=<Response><Dial>target</Dial></Response>
// (a "sip:" target as <Sip>; Dial() adds action/method/timeout) or <Response><Hangup/></Response>;
// 429/5xx retried with backoff.
// Config as the "twilio" messenger (docs/providers.md): "account_sid" (or TWILIO_ACCOUNT_SID),
// "auth_token_env" (default TWILIO_AUTH_TOKEN; the token is never in the config), "base_url".
// NotFound when the SID or token is missing. Defined in the cloud layer.
Result<std::unique_ptr<CallControl>> MakeTwilioCallControl(const nlohmann::json& config);

}  // namespace infini
