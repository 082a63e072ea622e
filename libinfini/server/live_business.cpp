// Live business configs and their owner notifiers (live_business.h).
#include "live_business.h"

#include <charconv>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "infini/log.h"
#include "infini/registry.h"

namespace infini::server {
namespace {

std::string Digits(std::string_view phone) {
  std::string d;
  for (char c : phone)
    if (c >= '0' && c <= '9') d += c;
  return d;
}

// The owner's SMS summary and the missed-call text-back go to the store's outbox, tied to
// the call whose row id the notifier puts in Message::call_id (like the call's own SMS).
class CallOutboxMessenger final : public Messenger {
 public:
  explicit CallOutboxMessenger(Store& store) : store_(store) {}
  Result<std::string> Send(const Message& m) override {
    if (m.kind != Message::Kind::kSms) return Status::InvalidArgument("outbox: only SMS messages");
    if (m.to.empty() || m.body.empty()) return Status::InvalidArgument("sms: empty recipient or body");
    int64_t row = 0;
    std::from_chars(m.call_id.data(), m.call_id.data() + m.call_id.size(), row);
    auto id = store_.QueueSms(m.to, m.body, row);
    if (!id.ok()) return id.status();
    return std::to_string(id.value());
  }
  std::string name() const override { return "store-outbox"; }

 private:
  Store& store_;
};

}  // namespace

std::function<void(const CallOutcome&)> BusinessRuntime::NotifyHook(int64_t row, const std::string& caller_phone,
                                                                    int64_t started_utc,
                                                                    std::function<double()> cost_usd) const {
  CallNotifier* n = notifier.get();
  if (!n) return nullptr;
  CallInfo info{.call_id = std::to_string(row), .caller_phone = caller_phone, .started_utc = started_utc};
  info.cost_usd = std::move(cost_usd);
  return [n, info](const CallOutcome& outcome) {
    CallInfo i = info;
    i.ended_utc = static_cast<int64_t>(std::time(nullptr));
    if (i.started_utc == 0 || i.ended_utc < i.started_utc) i.ended_utc = 0;
    n->Notify(outcome, i);
  };
}

LiveBusinesses::~LiveBusinesses() { Flush(); }

std::shared_ptr<BusinessRuntime> LiveBusinesses::Build(BusinessConfig config, int version) {
  auto rt = std::make_shared<BusinessRuntime>();
  rt->config = std::make_shared<const BusinessConfig>(std::move(config));
  rt->version = version;
  const BusinessConfig& b = *rt->config;
  const OwnerNotifications& n = b.notifications;
  if (n.enabled || n.text_back) {
    auto sms = MakeMessenger(messenger_, MessengerBinding{.store = &store_, .business_id = b.id, .prices = prices_});
    if (sms.ok()) {
      rt->notify_sms = std::move(sms).value();
    } else {
      INFINI_LOG(kWarn, "server: business '{}': messenger: {}; owner SMS stay in the outbox", b.id,
                 sms.status().ToString());
      rt->notify_sms = std::make_unique<CallOutboxMessenger>(store_);
    }
    if (!n.email_provider.empty()) {
      auto spec = nlohmann::json::parse(n.email_provider, nullptr, false);
      auto made = spec.is_discarded() ? Result<std::unique_ptr<Messenger>>(Status::InvalidArgument("not JSON"))
                                      : ProviderRegistry::Builtin().Make<Messenger>(spec);
      if (made.ok()) {
        rt->notify_email = std::move(made).value();
      } else {
        INFINI_LOG(kError, "server: business '{}': notifications.email: {}; owner e-mails are not sent", b.id,
                   made.status().ToString());
      }
    }
    rt->notifier = std::make_unique<CallNotifier>(b, rt->notify_sms.get(), rt->notify_email.get());
  }
  return rt;
}

Status LiveBusinesses::Add(BusinessConfig config, int version) {
  auto rt = Build(std::move(config), version);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& c : current_)
    if (c->config->id == rt->config->id)
      return Status::InvalidArgument(fmt::format("server: two businesses with id '{}'", rt->config->id));
  current_.push_back(std::move(rt));
  return Status::OK();
}

Status LiveBusinesses::Replace(BusinessConfig config, int version) {
  const std::string id = config.id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    bool known = false;
    for (const auto& c : current_) known = known || c->config->id == id;
    if (!known) return Status::NotFound(fmt::format("server: no business '{}' to update", id));
  }
  auto rt = Build(std::move(config), version);  // outside the lock: may build an SMTP messenger
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& c : current_) {
    if (c->config->id != id) continue;
    retired_.push_back(std::move(c));
    c = std::move(rt);
    INFINI_LOG(kInfo, "server: business '{}' now answers with script version {}", id, version);
    return Status::OK();
  }
  return Status::NotFound(fmt::format("server: no business '{}' to update", id));
}

std::shared_ptr<const BusinessRuntime> LiveBusinesses::Find(std::string_view to, std::string_view id) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (current_.empty()) return nullptr;
  for (const auto& c : current_)
    if (!id.empty() && c->config->id == id) return c;
  const std::string d = Digits(to);
  for (const auto& c : current_)
    if (!d.empty() && Digits(c->config->phone) == d) return c;
  return id.empty() ? current_.front() : nullptr;
}

std::shared_ptr<const BusinessRuntime> LiveBusinesses::Get(std::string_view id) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (current_.empty()) return nullptr;
  if (id.empty()) return current_.front();
  for (const auto& c : current_)
    if (c->config->id == id) return c;
  return nullptr;
}

size_t LiveBusinesses::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_.size();
}

void LiveBusinesses::Flush() {
  std::vector<std::shared_ptr<BusinessRuntime>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    all = current_;
    all.insert(all.end(), retired_.begin(), retired_.end());
  }
  for (const auto& rt : all)
    if (rt->notifier) rt->notifier->Flush();
}

}  // namespace infini::server
