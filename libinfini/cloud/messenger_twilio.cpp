// "twilio" messenger (SMS over Twilio's Messages API), "outbox" (the store's SMS outbox),
// their chain with SMS status kept in the outbox, and Twilio live-call control.
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "cloud/twilio_rest.h"
#include "cloud/voice_providers.h"
#include "infini/log.h"
#include "infini/messenger.h"
#include "infini/registry.h"
#include "infini/store.h"

namespace infini::cloud {
namespace {

int64_t CallId(const std::string& call_id) {
  if (call_id.empty()) return 0;
  char* end = nullptr;
  const long long v = std::strtoll(call_id.c_str(), &end, 10);
  return end && *end == '\0' && v > 0 ? v : 0;
}

Status CheckMessage(const Message& m, const std::string& who) {
  if (m.to.empty()) return Status::InvalidArgument(who + ": message has no recipient");
  if (m.body.empty()) return Status::InvalidArgument(who + ": message has an empty body");
  return Status::OK();
}

class TwilioMessenger : public Messenger {
 public:
  TwilioMessenger(TwilioRest rest, Store* store, std::string business_id)
      : rest_(std::move(rest)), store_(store), business_id_(std::move(business_id)) {}

  Result<std::string> Send(const Message& message) override {
    INFINI_RETURN_IF_ERROR(CheckMessage(message, "twilio"));
    if (message.kind != Message::Kind::kSms)
      return Status::Unimplemented("twilio: only SMS is supported (e-mail needs another messenger)");
    auto sent = rest_.SendSms(message.to, message.body);
    if (!sent.ok()) return sent.status();
    if (store_) {
      UsageRecord u{.call_id = CallId(message.call_id), .business_id = business_id_, .kind = "sms_segments",
                    .quantity = static_cast<double>(sent->segments)};
      auto added = store_->AddUsage(u);
      if (!added.ok()) INFINI_LOG(kWarn, "twilio: SMS {} sent but its usage was not recorded: {}", sent->sid,
                                  added.status().ToString());
    }
    return sent->sid;
  }
  std::string name() const override { return "twilio"; }

 private:
  TwilioRest rest_;
  Store* store_;
  std::string business_id_;
};

// Keeps the message in the store's outbox with status "queued" (sent later by a person or
// a retry job). In a chain the chain itself owns the outbox row, so this member only says
// "keep it queued"; alone it queues the row itself.
class OutboxMessenger : public Messenger {
 public:
  explicit OutboxMessenger(Store* store) : store_(store) {}
  Result<std::string> Send(const Message& message) override {
    INFINI_RETURN_IF_ERROR(CheckMessage(message, "outbox"));
    if (!store_) return Status::Unavailable("outbox: no store to keep the message in");
    auto id = store_->QueueSms(message.to, message.body, CallId(message.call_id));
    if (!id.ok()) return Prefixed(id.status(), "outbox");
    return fmt::format("outbox:{}", *id);
  }
  std::string name() const override { return "outbox"; }

 private:
  Store* store_;
};

// Primary first. With a store, every SMS gets one outbox row before the first try:
// "sent" when a member delivered it, "queued" (error noted) when the chain ends in "outbox",
// else "failed" with the last error. Exceptions from members become errors.
class MessengerChain : public Messenger {
 public:
  MessengerChain(std::vector<std::unique_ptr<Messenger>> members, Store* store)
      : members_(std::move(members)), store_(store) {}

  Result<std::string> Send(const Message& message) override {
    INFINI_RETURN_IF_ERROR(CheckMessage(message, "messenger"));
    int64_t row = 0;
    if (store_ && message.kind == Message::Kind::kSms) {
      auto queued = store_->QueueSms(message.to, message.body, CallId(message.call_id));
      if (queued.ok()) row = *queued;
      else INFINI_LOG(kWarn, "messenger: could not record the SMS in the outbox: {}", queued.status().ToString());
    }
    Status last = Status::Unavailable("messenger: empty chain");
    for (const auto& m : members_) {
      std::string who;
      try {
        who = m->name();
        if (who == "outbox" && row != 0) {  // the row already is the outbox entry
          Mark(row, "queued", last.ok() ? "" : last.ToString());
          INFINI_LOG(kWarn, "messenger: SMS to {} kept in the outbox (#{}) to be sent later", message.to, row);
          return fmt::format("outbox:{}", row);
        }
        auto id = m->Send(message);
        if (id.ok()) {
          if (row) Mark(row, "sent", "");
          return id;
        }
        last = id.status();
      } catch (const std::exception& e) {
        last = Status::Unavailable(fmt::format("{}: Send threw: {}", who, e.what()));
      } catch (...) {
        last = Status::Unavailable(fmt::format("{}: Send threw", who));
      }
      INFINI_LOG(kWarn, "messenger chain: {} failed: {}", who, last.ToString());
    }
    if (row) Mark(row, "failed", last.ToString());
    return last;
  }
  std::string name() const override {
    std::string n;
    for (const auto& m : members_) n += (n.empty() ? "" : ">") + m->name();
    return n;
  }

 private:
  void Mark(int64_t row, const std::string& status, const std::string& error) {
    Status st = store_->MarkSms(row, status, error);
    if (!st.ok()) INFINI_LOG(kWarn, "messenger: outbox #{} not marked {}: {}", row, status, st.ToString());
  }
  std::vector<std::unique_ptr<Messenger>> members_;
  Store* store_;
};

}  // namespace

Result<std::unique_ptr<Messenger>> MakeTwilioMessengerFor(const nlohmann::json& config, Store* store) {
  auto rest = TwilioRest::FromConfig(config);
  if (!rest.ok()) return rest.status();
  if (rest->config().from.empty() && rest->config().messaging_service_sid.empty())
    return Status::InvalidArgument(
        "twilio: no sender: set \"from\" (or TWILIO_FROM_NUMBER) or \"messaging_service_sid\"");
  return std::unique_ptr<Messenger>(
      std::make_unique<TwilioMessenger>(std::move(rest).value(), store, config.value("business_id", std::string())));
}

Result<std::unique_ptr<Messenger>> MakeTwilioMessenger(const nlohmann::json& config) {
  return MakeTwilioMessengerFor(config, nullptr);
}

Result<std::unique_ptr<Messenger>> MakeOutboxMessenger(const nlohmann::json&) {
  return std::unique_ptr<Messenger>(std::make_unique<OutboxMessenger>(nullptr));
}

std::unique_ptr<Messenger> MakeMessengerChain(std::vector<std::unique_ptr<Messenger>> members) {
  return std::make_unique<MessengerChain>(std::move(members), nullptr);
}

}  // namespace infini::cloud

namespace infini {

Result<std::unique_ptr<Messenger>> MakeMessenger(const nlohmann::json& spec, Store* store,
                                                 const std::string& business_id) {
  const ProviderRegistry& registry = ProviderRegistry::Builtin();
  std::vector<nlohmann::json> specs;
  if (spec.is_array()) {
    if (spec.empty()) return Status::InvalidArgument("empty messenger chain in config");
    specs.assign(spec.begin(), spec.end());
  } else {
    specs.push_back(spec);
  }
  std::vector<std::unique_ptr<Messenger>> members;
  std::string errors;
  for (const auto& s : specs) {
    nlohmann::json config = s.is_string() ? nlohmann::json{{"name", s}} : s;
    if (!config.is_object() || !config.contains("name") || !config["name"].is_string())
      return Status::InvalidArgument(fmt::format(
          "messenger config must be a name, an object with \"name\", or an array of those; got {}", s.dump()));
    const std::string name = config["name"].get<std::string>();
    if (!business_id.empty() && !config.contains("business_id")) config["business_id"] = business_id;
    Result<std::unique_ptr<Messenger>> made = Status::Internal("unset");
    if (name == "outbox") made = std::unique_ptr<Messenger>(std::make_unique<cloud::OutboxMessenger>(store));
    else if (name == "twilio") made = cloud::MakeTwilioMessengerFor(config, store);
    else made = registry.MakeOne<Messenger>(config);
    if (made.ok()) {
      members.push_back(std::move(made).value());
    } else {
      INFINI_LOG(kWarn, "messenger chain: skipping member: {}", made.status().ToString());
      errors += (errors.empty() ? "" : "; ") + made.status().ToString();
    }
  }
  if (members.empty()) return Status::Unavailable("no messenger in chain could be built: " + errors);
  return std::unique_ptr<Messenger>(std::make_unique<cloud::MessengerChain>(std::move(members), store));
}

}  // namespace infini
