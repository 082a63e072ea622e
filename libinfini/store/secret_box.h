// Credential encryption at rest (private to the store): libsodium crypto_secretbox
// (XSalsa20-Poly1305) with a 32-byte key from StoreOptions::credential_key or the
// INFINI_CREDENTIAL_KEY environment variable. Sealed format: "ib1" + 24-byte nonce + box.
// The plaintext inside the box starts with "<business>\0<provider>\0", so a sealed
// secret copied to another row does not open there. Thread-safe (pure functions).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "infini/status.h"

namespace infini::store {

using SecretKey = std::array<uint8_t, 32>;

inline constexpr const char* kCredentialKeyEnv = "INFINI_CREDENTIAL_KEY";

// `configured` non-empty: that text; else the environment variable. Accepts 64 hex digits
// or standard base64 of 32 bytes. PermissionDenied naming the variable when missing,
// InvalidArgument (never echoing the key) when malformed.
Result<SecretKey> LoadCredentialKey(const std::string& configured);

bool IsSealed(std::string_view blob);
std::string Seal(const SecretKey& key, std::string_view business_id, std::string_view provider,
                 std::string_view secret);
// PermissionDenied when the key is wrong or the record was tampered with / moved.
Result<std::string> Open(const SecretKey& key, std::string_view business_id, std::string_view provider,
                         std::string_view sealed);

}  // namespace infini::store
