// The fake cloud servers of tests/fakes/, started as real processes on 127.0.0.1 (one per
// test binary, shared by its test cases), and a tiny HTTP GET for their /fake/requests log.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "child_process.h"
#include "net/http_client.h"

struct FakeServer {
  explicit FakeServer(const std::string& script)
      : process({"/usr/bin/python3", std::string(INFINI_SOURCE_DIR) + "/tests/fakes/" + script}),
        port(process.WaitForLine("PORT ", 20000)) {}
  ChildProcess process;
  std::string port;
  std::string Url(const std::string& path = "") const { return "http://127.0.0.1:" + port + path; }
  // Every request the fake received so far (path, lower-case headers, JSON body).
  nlohmann::json Requests() const {
    infini::net::HttpClient http;
    auto r = http.Send({.method = "GET", .url = Url("/fake/requests"), .timeout_ms = 5000});
    if (!r.ok() || r->status != 200) return nlohmann::json::array();
    return nlohmann::json::parse(r->body, nullptr, false);
  }
};

inline FakeServer& FakeOpenAi() {
  static FakeServer server("fake_openai.py");
  REQUIRE_MESSAGE(!server.port.empty(), "tests/fakes/fake_openai.py did not start");
  return server;
}

inline FakeServer& FakeElevenLabs() {
  static FakeServer server("fake_elevenlabs.py");
  REQUIRE_MESSAGE(!server.port.empty(), "tests/fakes/fake_elevenlabs.py did not start");
  return server;
}
