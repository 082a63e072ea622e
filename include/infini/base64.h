// Base64 (RFC 4648, standard alphabet, '=' padding), as Twilio Media Streams use it.
//
//   std::string text = infini::Base64Encode(bytes);
//   std::vector<uint8_t> raw;
//   infini::Status s = infini::Base64Decode(text, raw);   // reuses raw's capacity
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "infini/status.h"

namespace infini {

std::string Base64Encode(std::span<const uint8_t> data);
void Base64EncodeTo(std::span<const uint8_t> data, std::string& out);  // replaces out

// Replaces `out` with the decoded bytes. Corruption naming the offset of the first
// invalid character, or a bad length/padding. Whitespace is not accepted.
Status Base64Decode(std::string_view text, std::vector<uint8_t>& out);
Result<std::vector<uint8_t>> Base64Decode(std::string_view text);

}  // namespace infini
