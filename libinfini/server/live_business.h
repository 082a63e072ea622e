// The businesses a server answers for, each as its current config version plus what a call of
// that version needs at run time (the owner notifier and its messengers). Internal to
// libinfini/server.
//
//   server::LiveBusinesses live(store);  live.Add(config);          // at Create
//   auto rt = live.Find(to_number, business_id);                   // a new call holds rt
//   live.Replace(new_config);   // the API saved a new script: new calls get it at once,
//                               // calls in progress keep the runtime they hold
//
// Thread-safe. Runtimes are kept until the registry goes (config updates are rare), so the
// notifier of an old version never has to be torn down on a call's worker.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "infini/business.h"
#include "infini/cost.h"
#include "infini/messenger.h"
#include "infini/notify.h"
#include "infini/status.h"
#include "infini/store.h"

namespace infini::server {

// One version of one business config, shared by every call that started with it.
struct BusinessRuntime {
  std::shared_ptr<const BusinessConfig> config;
  int version = 0;                          // store script version; 0 = from a file / the embedder
  std::unique_ptr<Messenger> notify_sms;    // the server's messenger (outbox rows tied to Message::call_id)
  std::unique_ptr<Messenger> notify_email;  // notifications.email (registry spec), or null
  std::unique_ptr<CallNotifier> notifier;   // background: never blocks a call's worker

  // ConversationOptions::on_end for one call: the owner summary and missed-call text-back,
  // with the call's end time filled in when it ends.
  // `cost_usd` (may be null) is the call's cost so far, read when the summary is written.
  std::function<void(const CallOutcome&)> NotifyHook(int64_t row, const std::string& caller_phone,
                                                     int64_t started_utc,
                                                     std::function<double()> cost_usd = nullptr) const;
};

class LiveBusinesses {
 public:
  // Owner SMS and text-backs go through `messenger` (the calls' spec, messenger.h) bound to the
  // business, falling back to the store's outbox; `prices` (may be null) prices their usage.
  LiveBusinesses(Store& store, nlohmann::json messenger, const PriceTable* prices)
      : store_(store), messenger_(std::move(messenger)), prices_(prices) {}
  ~LiveBusinesses();  // flushes every notifier

  // Adds a business (at start-up). InvalidArgument for a duplicate id.
  Status Add(BusinessConfig config, int version = 0);
  // Swaps in a new version of an existing business. NotFound when no business has its id.
  Status Replace(BusinessConfig config, int version);
  // The business whose id is `id`, else whose phone equals `to` (digits compared), else the
  // first one when `id` is empty; null when `id` names no business.
  std::shared_ptr<const BusinessRuntime> Find(std::string_view to, std::string_view id) const;
  std::shared_ptr<const BusinessRuntime> Get(std::string_view id) const;  // "" = the first
  size_t size() const;
  void Flush();  // waits until every queued notification has been tried

 private:
  std::shared_ptr<BusinessRuntime> Build(BusinessConfig config, int version);

  Store& store_;
  nlohmann::json messenger_;
  const PriceTable* prices_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<BusinessRuntime>> current_;  // in the order added
  std::vector<std::shared_ptr<BusinessRuntime>> retired_;  // replaced versions, kept until the end
};

}  // namespace infini::server
