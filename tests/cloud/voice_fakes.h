// Test helpers for the cloud speech / Twilio providers: starts one of the local fake servers
// in tests/fakes/ (real HTTP / WebSocket servers on 127.0.0.1, see each script's header),
// and talks to its /_fake/ control routes.
//
//   VoiceFake twilio("fake_twilio.py", {"--account-sid", kSid, "--auth-token", "tok"});
//   twilio.Post("/_fake/faults", R"({"faults": ["500"]})");
//   auto requests = twilio.Get("/_fake/requests")["requests"];
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "child_process.h"
#include "net/http_client.h"

class VoiceFake {
 public:
  VoiceFake(const std::string& script, std::vector<std::string> args)
      : process_(Argv(script, std::move(args))) {
    const std::string port = process_.WaitForLine("PORT ", 10000);
    REQUIRE_MESSAGE(!port.empty(), "fake server " << script << " did not start");
    port_ = std::stoi(port);
  }

  int port() const { return port_; }
  std::string http_base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string ws_base() const { return "ws://127.0.0.1:" + std::to_string(port_); }

  nlohmann::json Get(const std::string& path) const {
    infini::net::HttpClientRequest r;
    r.url = http_base() + path;
    r.timeout_ms = 5000;
    auto resp = infini::net::HttpClient().Send(r);
    REQUIRE_MESSAGE(resp.ok(), resp.status().ToString());
    REQUIRE(resp->status == 200);
    return nlohmann::json::parse(resp->body);
  }
  void Post(const std::string& path, const std::string& json) const {
    infini::net::HttpClientRequest r;
    r.method = "POST";
    r.url = http_base() + path;
    r.body = json;
    r.headers["content-type"] = "application/json";
    r.timeout_ms = 5000;
    auto resp = infini::net::HttpClient().Send(r);
    REQUIRE_MESSAGE(resp.ok(), resp.status().ToString());
    REQUIRE(resp->status == 200);
  }

 private:
  static std::vector<std::string> Argv(const std::string& script, std::vector<std::string> args) {
    std::vector<std::string> argv{"/usr/bin/python3", std::string(INFINI_SOURCE_DIR) + "/tests/fakes/" + script};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  ChildProcess process_;
  int port_ = 0;
};
