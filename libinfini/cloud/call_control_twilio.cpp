// "twilio-rest" call control: transfer / hang up a live Twilio call by redirecting it to
// new TwiML through the REST API (cloud/twilio_rest.h). Same config as the "twilio"
// messenger (account_sid, auth_token_env, base_url, timeouts, retries); no sender needed.
#include "infini/call_control.h"

#include <memory>

#include <nlohmann/json.hpp>

#include "cloud/twilio_rest.h"

namespace infini {
namespace {

class TwilioCallControl : public CallControl {
 public:
  explicit TwilioCallControl(cloud::TwilioRest rest) : rest_(std::move(rest)) {}
  Status Transfer(const std::string& call_sid, const std::string& target) override {
    return rest_.Transfer(call_sid, target);
  }
  Status Dial(const std::string& call_sid, const std::string& target, const DialOptions& options) override {
    return rest_.Transfer(call_sid, target, "", options.action_url, options.timeout_seconds);
  }
  Status Hangup(const std::string& call_sid) override { return rest_.Hangup(call_sid); }
  std::string name() const override { return "twilio-rest"; }

 private:
  cloud::TwilioRest rest_;
};

}  // namespace

Result<std::unique_ptr<CallControl>> MakeTwilioCallControl(const nlohmann::json& config) {
  auto rest = cloud::TwilioRest::FromConfig(config.is_null() ? nlohmann::json::object() : config);
  if (!rest.ok()) return rest.status();
  return std::unique_ptr<CallControl>(std::make_unique<TwilioCallControl>(std::move(rest).value()));
}

}  // namespace infini
