// Messenger: sends a confirmation SMS or e-mail to the caller.
//
//   auto id = messenger->Send({.to = "+14155550123", .body = "Booked: haircut Tue 3 pm",
//                              .kind = infini::Message::Kind::kSms});
//   if (!id.ok()) log(id.status().ToString());   // a failed SMS never fails the booking
//
// Implementations: a store-only outbox (default), Twilio SMS. Thread-safe.
#pragma once

#include <string>

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

}  // namespace infini
