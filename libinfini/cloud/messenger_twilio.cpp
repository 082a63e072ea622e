// "twilio" messenger (SMS over Twilio's Messages API), "outbox" (the store's SMS outbox),
// their chain with SMS status kept in the outbox, and Twilio live-call control.
#include <cmath>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "cloud/twilio_rest.h"
#include "cloud/voice_providers.h"
#include "infini/cost.h"
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

}  // namespace

// The registry builds messengers from config alone; MakeMessenger then binds them to the
// store (outbox rows, usage events), the business and the price table.
class BindableMessenger : public Messenger {
 public:
  virtual void Bind(const MessengerBinding& binding) = 0;
};

namespace {

class TwilioMessenger : public BindableMessenger {
 public:
  TwilioMessenger(TwilioRest rest, Store* store, std::string business_id)
      : rest_(std::move(rest)), store_(store), business_id_(std::move(business_id)) {}

  void Bind(const MessengerBinding& b) override {
    store_ = b.store;
    if (!b.business_id.empty()) business_id_ = b.business_id;
    prices_ = b.prices;
  }

  Result<std::string> Send(const Message& message) override {
    INFINI_RETURN_IF_ERROR(CheckMessage(message, "twilio"));
    if (message.kind != Message::Kind::kSms)
      return Status::Unimplemented("twilio: only SMS is supported (e-mail needs another messenger)");
    auto sent = rest_.SendSms(message.to, message.body);
    if (!sent.ok()) return sent.status();
    if (store_) {
      // The same kind and pricing as every other usage event: "<provider>/<kind>", cost in micro-$.
      const PriceTable defaults = prices_ ? PriceTable() : PriceTable::Defaults();
      const auto price = (prices_ ? *prices_ : defaults).Find("twilio", usage::kSmsSegments);
      const double segments = static_cast<double>(sent->segments);
      UsageRecord u{.call_id = CallId(message.call_id), .business_id = business_id_,
                    .kind = fmt::format("twilio/{}", usage::kSmsSegments), .quantity = segments,
                    .cost_micros = price ? static_cast<int64_t>(std::llround(segments * price->usd_per_unit * 1e6)) : 0};
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
  const PriceTable* prices_ = nullptr;
};

// Keeps the message in the store's outbox with status "queued" (sent later by a person or
// a retry job). In a chain the chain itself owns the outbox row, so this member only says
// "keep it queued"; alone it queues the row itself.
class OutboxMessenger : public BindableMessenger {
 public:
  explicit OutboxMessenger(Store* store) : store_(store) {}
  void Bind(const MessengerBinding& b) override { store_ = b.store; }
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
class MessengerChain : public BindableMessenger {
 public:
  MessengerChain(std::vector<std::unique_ptr<Messenger>> members, Store* store)
      : members_(std::move(members)), store_(store) {}

  void Bind(const MessengerBinding& b) override {
    store_ = b.store;
    for (auto& m : members_)
      if (auto* bindable = dynamic_cast<BindableMessenger*>(m.get())) bindable->Bind(b);
  }

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

Result<std::unique_ptr<Messenger>> MakeMessenger(const nlohmann::json& spec, const MessengerBinding& binding) {
  // Built by the registry ("twilio", "outbox", "smtp", ... and the chain wrapper), then bound.
  auto made = ProviderRegistry::Builtin().Make<Messenger>(spec);
  if (!made.ok()) return made.status();
  std::unique_ptr<Messenger> m = std::move(made).value();
  if (auto* bindable = dynamic_cast<cloud::BindableMessenger*>(m.get())) {
    bindable->Bind(binding);
  } else {  // a lone provider from a registry without the chain wrapper: give it one
    std::vector<std::unique_ptr<Messenger>> one;
    one.push_back(std::move(m));
    auto chain = std::make_unique<cloud::MessengerChain>(std::move(one), nullptr);
    chain->Bind(binding);
    m = std::move(chain);
  }
  return m;
}

Result<std::unique_ptr<Messenger>> MakeMessenger(const nlohmann::json& spec, Store* store,
                                                 const std::string& business_id) {
  return MakeMessenger(spec, MessengerBinding{.store = store, .business_id = business_id});
}

}  // namespace infini
