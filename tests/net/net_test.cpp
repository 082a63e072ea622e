#include <doctest/doctest.h>

#include <vector>

#include "infini/http.h"
#include "net/http_client.h"

using namespace infini;

TEST_CASE("form bodies decode percent escapes and plus signs") {
  auto form = ParseFormUrlEncoded("From=%2B15125557788&Body=hello+there&Empty=&Bad=%zz&Flag");
  CHECK(form["From"] == "+15125557788");
  CHECK(form["Body"] == "hello there");
  CHECK(form["Empty"] == "");
  CHECK(form["Bad"] == "%zz");
  CHECK(form.count("Flag") == 1);
  CHECK(PercentDecode("%") == "%");
  CHECK(PercentDecode("a%2") == "a%2");
  CHECK(PercentEncode("a b+c/é") == "a%20b%2Bc%2F%C3%A9");
  CHECK(PercentDecode(PercentEncode("x y&z=1"), false) == "x y&z=1");
}

TEST_CASE("request helpers read headers in any case and query parameters") {
  HttpRequest r{.method = "GET", .path = "/api/v1/calls", .query = "limit=5&q=a%20b",
                .headers = {{"authorization", "Bearer t"}}};
  CHECK(r.header("Authorization") == "Bearer t");
  CHECK(r.header("x-missing") == "");
  CHECK(r.query_param("limit") == "5");
  CHECK(r.query_param("q") == "a b");
  CHECK(r.query_param("none", "7") == "7");
  auto e = HttpResponse::Error(404, "no route \"x\"");
  CHECK(e.status == 404);
  CHECK(e.body == R"({"error":{"message":"no route \"x\"","status":404}})");
}

TEST_CASE("SSE parser splits events across arbitrary chunk boundaries") {
  const std::string stream =
      ": keep-alive\n\ndata: {\"a\":1}\n\nevent: done\ndata: line1\ndata: line2\r\n\r\ndata: [DONE]\n\n";
  for (size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    std::vector<std::pair<std::string, std::string>> events;
    net::SseParser parser([&](const std::string& e, const std::string& d) { events.emplace_back(e, d); });
    for (size_t i = 0; i < stream.size(); i += chunk) parser.Feed(std::string_view(stream).substr(i, chunk));
    REQUIRE(events.size() == 3);
    CHECK(events[0] == std::pair<std::string, std::string>{"message", "{\"a\":1}"});
    CHECK(events[1] == std::pair<std::string, std::string>{"done", "line1\nline2"});
    CHECK(events[2].second == "[DONE]");
  }
}

TEST_CASE("HTTP client reports an unreachable server as Unavailable, not a response") {
  net::HttpClient http;
  // Port 9 on loopback: nothing listens there (discard service is not installed).
  auto r = http.Send({.method = "GET", .url = "http://127.0.0.1:9/", .timeout_ms = 2000});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsUnavailable());
  CHECK(r.status().message().find("127.0.0.1:9") != std::string::npos);
}
