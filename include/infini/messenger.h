// Messenger: sends a confirmation SMS or e-mail to the caller.
//
//   auto id = messenger->Send({.to = "+14155550123", .body = "Booked: haircut Tue 3 pm",
//                              .kind = infini::Message::Kind::kSms});
//   if (!id.ok()) log(id.status().ToString());   // a failed SMS never fails the booking
//
// Implementations: a store-only outbox (default), Twilio SMS. Thread-safe.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "infini/status.h"

namespace infini {

struct Message {
  enum class Kind { kSms, kEmail };
  std::string to;       // E.164 phone number for kSms, address for kEmail
  std::string body;
  Kind kind = Kind::kSms;
  std::string subject;  // e-mail only
  std::string call_id;  // the call that caused it, if any
};

class Messenger {
 public:
  virtual ~Messenger() = default;
  // Returns the provider's message id. InvalidArgument for an empty `to` or body.
  virtual Result<std::string> Send(const Message& message) = 0;
  virtual std::string name() const = 0;
};

class Store;
class PriceTable;

// What a messenger built from config is attached to. Each pointer may be null; all must
// outlive the messenger.
struct MessengerBinding {
  Store* store = nullptr;          // outbox rows + usage events
  std::string business_id;         // on the usage events
  const PriceTable* prices = nullptr;  // prices the usage events (null: PriceTable::Defaults())
};

// Builds the messenger described by `spec` ("twilio", {"name": "twilio", "from": ...}, or a
// chain such as ["twilio", "outbox"]; docs/providers.md) through ProviderRegistry::Builtin()
// (messengers "twilio", "outbox", "smtp" and the messenger chain wrapper). With a store, every
// SMS gets an outbox row: "sent" once a provider accepted it, "queued" (the error noted) when
// the chain falls through to "outbox", "failed" otherwise; SMS segments are recorded as usage
// event "twilio/sms_segments" (priced, in micro-dollars) of the message's call_id. Without a
// store, "outbox" cannot keep anything: it fails and the chain moves on.
// Defined in the cloud layer (libinfini/cloud/messenger_twilio.cpp).
Result<std::unique_ptr<Messenger>> MakeMessenger(const nlohmann::json& spec, const MessengerBinding& binding);
Result<std::unique_ptr<Messenger>> MakeMessenger(const nlohmann::json& spec, Store* store,
                                                 const std::string& business_id = "");

}  // namespace infini
