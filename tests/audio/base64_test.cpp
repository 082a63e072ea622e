#include <doctest/doctest.h>

#include <random>

#include "infini/base64.h"

TEST_CASE("base64 matches RFC 4648 test vectors") {
  auto enc = [](std::string s) {
    return infini::Base64Encode({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
  };
  CHECK(enc("") == "");
  CHECK(enc("f") == "Zg==");
  CHECK(enc("fo") == "Zm8=");
  CHECK(enc("foo") == "Zm9v");
  CHECK(enc("foob") == "Zm9vYg==");
  CHECK(enc("fooba") == "Zm9vYmE=");
  CHECK(enc("foobar") == "Zm9vYmFy");
  auto dec = infini::Base64Decode("Zm9vYmE=");
  REQUIRE(dec.ok());
  CHECK(std::string(dec->begin(), dec->end()) == "fooba");
}

TEST_CASE("base64 round-trips random bytes of every length up to 200") {
  std::mt19937 rng(7);
  for (size_t n = 0; n <= 200; ++n) {
    std::vector<uint8_t> data(n);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    auto back = infini::Base64Decode(infini::Base64Encode(data));
    REQUIRE(back.ok());
    CHECK(*back == data);
  }
}

TEST_CASE("base64 garbage is a Corruption naming the problem") {
  auto bad_char = infini::Base64Decode("Zm9v!mFy");
  CHECK(bad_char.status().IsCorruption());
  CHECK(bad_char.status().message() == "base64: invalid character 0x21 at offset 4");
  CHECK(infini::Base64Decode("Zm9").status().message() == "base64: length 3 is not a multiple of 4");
  CHECK(infini::Base64Decode("Z===").status().IsCorruption());
  CHECK(infini::Base64Decode("Zm\n9").status().IsCorruption());
}
