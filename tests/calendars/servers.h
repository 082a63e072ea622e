// Test servers for the calendar providers: a real Radicale (CalDAV) and the local fakes of
// Google Calendar and Microsoft Graph (tests/fakes/*.py), each a child process on 127.0.0.1
// with a free port, killed (by its pid) when the fixture goes out of scope.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace infini::test {

inline int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

inline bool PortOpen(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

class ChildServer {
 public:
  ChildServer() = default;
  ChildServer(const ChildServer&) = delete;
  ChildServer& operator=(const ChildServer&) = delete;
  ~ChildServer() { Stop(); }

  // Starts argv[0] with argv and waits (up to 10 s) until `port` accepts connections.
  bool Start(const std::vector<std::string>& argv, int port, const std::string& log_path) {
    port_ = port;
    pid_ = fork();
    if (pid_ == 0) {
      FILE* log = std::fopen(log_path.c_str(), "w");
      if (log) dup2(fileno(log), 1), dup2(fileno(log), 2);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    for (int i = 0; i < 1000; ++i) {
      if (PortOpen(port)) return true;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) { pid_ = -1; return false; }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      for (int i = 0; i < 200 && waitpid(pid_, &status, WNOHANG) != pid_; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (waitpid(pid_, &status, WNOHANG) == 0) kill(pid_, SIGKILL), waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }
  bool running() const { return pid_ > 0; }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

inline std::string FreshDir(const std::string& name) {
  std::string dir = std::string(INFINI_TEST_TMP) + "/" + name + "-" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// A real Radicale 3 (Debian package `radicale`) with a temporary storage folder and
// htpasswd (plain) users "office"/"s3cret-dav-pass".
struct Radicale {
  ChildServer server;
  std::string dir;
  std::string base;  // http://127.0.0.1:<port>
  static constexpr const char* kUser = "office";
  static constexpr const char* kPassword = "s3cret-dav-pass";

  bool Start() {
    dir = FreshDir("radicale");
    int port = FreePort();
    base = "http://127.0.0.1:" + std::to_string(port);
    std::ofstream(dir + "/users") << kUser << ":" << kPassword << "\n";
    std::ofstream(dir + "/config") << "[server]\nhosts = 127.0.0.1:" << port << "\n"
                                   << "[auth]\ntype = htpasswd\nhtpasswd_filename = " << dir
                                   << "/users\nhtpasswd_encryption = plain\ndelay = 0\n"
                                   << "[rights]\ntype = owner_only\n"
                                   << "[storage]\nfilesystem_folder = " << dir << "/collections\n"
                                   << "[web]\ntype = none\n"
                                   << "[logging]\nlevel = warning\n";
    return server.Start({"/usr/bin/python3", "-m", "radicale", "--config", dir + "/config"}, port,
                        dir + "/radicale.log");
  }
};

// tests/fakes/<script> --port N
struct FakeServer {
  ChildServer server;
  std::string base;
  bool Start(const std::string& script, const std::vector<std::string>& extra = {}) {
    int port = FreePort();
    base = "http://127.0.0.1:" + std::to_string(port);
    std::vector<std::string> argv = {"/usr/bin/python3", std::string(INFINI_SOURCE_DIR) + "/tests/fakes/" + script,
                                     "--port", std::to_string(port)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::string dir = FreshDir(script);
    return server.Start(argv, port, dir + "/server.log");
  }
};

}  // namespace infini::test
