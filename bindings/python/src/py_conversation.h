// The Python-side Conversation: owns a copy of its business config (the engine keeps a
// reference); the calendar and messenger are kept alive by the Python wrapper (py::keep_alive).
#pragma once

#include <memory>

#include "infini/business.h"
#include "infini/dialogue.h"

namespace infini::python {

class PyConversation {
 public:
  PyConversation(BusinessConfig business, Calendar& calendar, Messenger* messenger, ConversationOptions options)
      : business_(std::make_unique<BusinessConfig>(std::move(business))),
        conversation_(std::make_unique<Conversation>(*business_, calendar, messenger, std::move(options))) {}

  Conversation& get() { return *conversation_; }

 private:
  std::unique_ptr<BusinessConfig> business_;
  std::unique_ptr<Conversation> conversation_;
};

}  // namespace infini::python
