// XML escaping (internal to libinfini): one definition for every layer that writes XML —
// TwiML (cloud, server; declared publicly in infini/twilio.h) and CalDAV queries (calendars).
#pragma once

#include <string>
#include <string_view>

namespace infini {

// Escapes & < > " and ' for XML text and attribute values.
std::string XmlEscape(std::string_view text);

}  // namespace infini
