// `infini call` against hosts that cannot take the call: a clear error and exit code 2.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>

namespace {

struct Run {
  int exit_code = -1;
  std::string output;
};

Run Call(const std::string& args) {
  std::string cmd = std::string(INFINI_BIN) + " call " + args + " 2>&1";
  Run run;
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe);
  char buf[4096];
  while (fgets(buf, sizeof buf, pipe)) run.output += buf;
  int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// A port on 127.0.0.1 that nothing listens on (bound, then released).
int FreePort() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

}  // namespace

TEST_CASE("infini call to an unreachable host says so, naming the URL, for both transports") {
  const std::string url = "http://127.0.0.1:" + std::to_string(FreePort());
  for (const char* transport : {"native", "twilio"}) {
    CAPTURE(transport);
    Run r = Call("--url " + url + " --transport " + transport + " --fast -q");
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("cannot reach the host") != std::string::npos);
    CHECK(r.output.find("127.0.0.1:" + url.substr(url.rfind(':') + 1)) != std::string::npos);
  }
}

TEST_CASE("infini call to something that is not an InfiniOffice host: the HTTP status is reported") {
  // A one-shot HTTP server answering 404 to the webhook.
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  REQUIRE(::listen(s, 4) == 0);
  std::thread server([s] {
    int c = ::accept(s, nullptr, nullptr);
    if (c < 0) return;
    char buf[8192];
    ::usleep(50000);
    (void)::read(c, buf, sizeof buf);
    const char reply[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nno route\n";
    (void)::write(c, reply, sizeof reply - 1);
    ::close(c);
  });
  Run r = Call("--url http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + " --transport twilio --fast -q");
  server.join();
  ::close(s);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("answered HTTP 404") != std::string::npos);
  CHECK(r.output.find("/twilio/voice") != std::string::npos);
}

TEST_CASE("infini call with a URL that is not http(s) or ws(s)") {
  Run r = Call("--url ftp://127.0.0.1:21 --fast -q");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("must start with http://") != std::string::npos);
}
