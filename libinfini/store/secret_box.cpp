#include "store/secret_box.h"

#include <sodium.h>

#include <cstdlib>
#include <vector>

#include "infini/base64.h"

namespace infini::store {
namespace {

constexpr std::string_view kMagic = "ib1";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Associated(std::string_view business_id, std::string_view provider) {
  std::string a(business_id);
  a.push_back('\0');
  a.append(provider);
  a.push_back('\0');
  return a;
}

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

}  // namespace

Result<SecretKey> LoadCredentialKey(const std::string& configured) {
  std::string text = configured;
  std::string source = "StoreOptions::credential_key";
  if (text.empty()) {
    const char* env = std::getenv(kCredentialKeyEnv);
    source = kCredentialKeyEnv;
    if (env == nullptr || *env == '\0')
      return Status::PermissionDenied(std::string(kCredentialKeyEnv) +
                                      " is not set: integration credentials are encrypted at rest and "
                                      "need a 32-byte key (e.g. `openssl rand -hex 32`), see docs/calendars.md");
    text = env;
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) text.pop_back();
  SecretKey key{};
  if (text.size() == 64) {
    bool hex = true;
    for (size_t i = 0; i < 32 && hex; ++i) {
      int hi = HexValue(text[2 * i]), lo = HexValue(text[2 * i + 1]);
      if (hi < 0 || lo < 0) hex = false;
      else key[i] = static_cast<uint8_t>(hi * 16 + lo);
    }
    if (hex) return key;
  }
  auto decoded = Base64Decode(text);
  if (decoded.ok() && decoded->size() == key.size()) {
    std::copy(decoded->begin(), decoded->end(), key.begin());
    return key;
  }
  return Status::InvalidArgument(source + " is malformed: expected 64 hex digits or base64 of 32 bytes (got " +
                                 std::to_string(text.size()) + " characters)");
}

bool IsSealed(std::string_view blob) {
  return blob.size() >= kMagic.size() + crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES &&
         blob.substr(0, kMagic.size()) == kMagic;
}

std::string Seal(const SecretKey& key, std::string_view business_id, std::string_view provider,
                 std::string_view secret) {
  SodiumReady();
  std::string plain = Associated(business_id, provider);
  plain.append(secret);
  std::string out(kMagic);
  out.resize(kMagic.size() + crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plain.size());
  auto* nonce = reinterpret_cast<unsigned char*>(out.data() + kMagic.size());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, reinterpret_cast<const unsigned char*>(plain.data()),
                        plain.size(), nonce, key.data());
  sodium_memzero(plain.data(), plain.size());
  return out;
}

Result<std::string> Open(const SecretKey& key, std::string_view business_id, std::string_view provider,
                         std::string_view sealed) {
  SodiumReady();
  std::string what = "credential '" + std::string(provider) + "' of business '" + std::string(business_id) + "'";
  if (!IsSealed(sealed)) return Status::Corruption(what + " is not an encrypted record");
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data() + kMagic.size());
  const auto* box = nonce + crypto_secretbox_NONCEBYTES;
  size_t box_len = sealed.size() - kMagic.size() - crypto_secretbox_NONCEBYTES;
  std::string plain(box_len - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()), box, box_len, nonce, key.data()) != 0)
    return Status::PermissionDenied(what + " cannot be decrypted: wrong " + std::string(kCredentialKeyEnv) +
                                    " (or the record was altered)");
  std::string assoc = Associated(business_id, provider);
  if (plain.compare(0, assoc.size(), assoc) != 0)
    return Status::PermissionDenied(what + " was sealed for another business/provider");
  std::string secret = plain.substr(assoc.size());
  sodium_memzero(plain.data(), plain.size());
  return secret;
}

}  // namespace infini::store
