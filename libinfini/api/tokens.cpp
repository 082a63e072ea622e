// API bearer tokens: random, shown once, stored only as a BLAKE2b-256 hash (include/infini/api.h).
#include <sodium.h>

#include <mutex>

#include "infini/api.h"

namespace infini {
namespace {

void InitSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) std::abort();  // libsodium cannot work without its RNG: nothing to fall back to
  });
}

std::string Hex(const unsigned char* data, size_t n) {
  std::string out(n * 2, '0');
  sodium_bin2hex(out.data(), out.size() + 1, data, n);
  return out;
}

}  // namespace

std::string NewApiToken() {
  InitSodium();
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  return "inf_" + Hex(bytes, sizeof bytes);
}

std::string HashApiToken(std::string_view token) {
  InitSodium();
  unsigned char hash[crypto_generichash_BYTES];  // 32 bytes
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  return Hex(hash, sizeof hash);
}

Result<std::string> CreateApiUser(Store& store, const std::string& name, const std::string& role,
                                  const std::string& organization_id) {
  if (role != "owner" && role != "staff" && role != "readonly")
    return Status::InvalidArgument("role '" + role + "' must be owner, staff or readonly");
  std::string token = NewApiToken();
  UserRecord user;
  user.organization_id = organization_id;
  user.name = name;
  user.role = role;
  user.token_hash = HashApiToken(token);
  auto id = store.AddUser(user);
  if (!id.ok()) return id.status();
  return token;
}

}  // namespace infini
