#include "infini/base64.h"

#include <array>

#include <fmt/format.h>

namespace infini {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> MakeDecodeTable() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr auto kDecode = MakeDecodeTable();

}  // namespace

void Base64EncodeTo(std::span<const uint8_t> data, std::string& out) {
  out.resize((data.size() + 2) / 3 * 4);
  size_t i = 0, o = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out[o++] = kAlphabet[(v >> 18) & 63];
    out[o++] = kAlphabet[(v >> 12) & 63];
    out[o++] = kAlphabet[(v >> 6) & 63];
    out[o++] = kAlphabet[v & 63];
  }
  size_t rest = data.size() - i;
  if (rest > 0) {
    uint32_t v = data[i] << 16;
    if (rest == 2) v |= data[i + 1] << 8;
    out[o++] = kAlphabet[(v >> 18) & 63];
    out[o++] = kAlphabet[(v >> 12) & 63];
    out[o++] = rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out[o++] = '=';
  }
}

std::string Base64Encode(std::span<const uint8_t> data) {
  std::string out;
  Base64EncodeTo(data, out);
  return out;
}

Status Base64Decode(std::string_view text, std::vector<uint8_t>& out) {
  if (text.size() % 4 != 0) {
    out.clear();
    return Status::Corruption(fmt::format("base64: length {} is not a multiple of 4", text.size()));
  }
  if (text.empty()) {
    out.clear();
    return Status::OK();
  }
  size_t pad = 0;
  if (text.back() == '=') pad = (text[text.size() - 2] == '=') ? 2 : 1;
  out.resize(text.size() / 4 * 3 - pad);  // same size as last time (a stream's frames): no zeroing
  size_t o = 0;
  const size_t full = text.size() - (pad ? 4 : 0);
  for (size_t i = 0; i < full; i += 4) {
    int a = kDecode[static_cast<uint8_t>(text[i])], b = kDecode[static_cast<uint8_t>(text[i + 1])];
    int c = kDecode[static_cast<uint8_t>(text[i + 2])], d = kDecode[static_cast<uint8_t>(text[i + 3])];
    if ((a | b | c | d) < 0) {
      size_t bad = i;
      while (kDecode[static_cast<uint8_t>(text[bad])] >= 0) ++bad;
      out.clear();
      return Status::Corruption(fmt::format("base64: invalid character 0x{:02x} at offset {}",
                                            static_cast<uint8_t>(text[bad]), bad));
    }
    uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = static_cast<uint8_t>(v >> 16);
    out[o++] = static_cast<uint8_t>(v >> 8);
    out[o++] = static_cast<uint8_t>(v);
  }
  if (pad) {
    size_t i = full;
    int a = kDecode[static_cast<uint8_t>(text[i])], b = kDecode[static_cast<uint8_t>(text[i + 1])];
    int c = pad == 1 ? kDecode[static_cast<uint8_t>(text[i + 2])] : 0;
    if (a < 0 || b < 0 || c < 0 || (pad == 1 && text[i + 2] == '=')) {
      out.clear();
      return Status::Corruption(fmt::format("base64: invalid final block at offset {}", i));
    }
    uint32_t v = (a << 18) | (b << 12) | (c << 6);
    out[o++] = static_cast<uint8_t>(v >> 16);
    if (pad == 1) out[o++] = static_cast<uint8_t>(v >> 8);
  }
  return Status::OK();
}

Result<std::vector<uint8_t>> Base64Decode(std::string_view text) {
  std::vector<uint8_t> out;
  Status s = Base64Decode(text, out);
  if (!s.ok()) return s;
  return out;
}

}  // namespace infini
