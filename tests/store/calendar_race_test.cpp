// Many writers racing for one slot must end with exactly one booking. Each thread uses
// its own SQLite connection (the Store opens one per thread) and each process its own
// Store, so what is tested is SQLite's locking plus the BEGIN IMMEDIATE transaction,
// not a C++ mutex.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "infini/store.h"
#include "store/store_test_util.h"

using infini::Appointment;
using infini::Store;

namespace {

Appointment Contender(int i, int round) {
  Appointment a;
  a.id = "r" + std::to_string(round) + "-t" + std::to_string(i);
  a.business_id = "acme";
  a.resource = "bay1";
  // All overlap the same hour, with different offsets so none is an identical retry.
  a.start_utc = 1'800'000'000 + i;
  a.end_utc = 1'800'000'000 + 3600 + i;
  a.customer_phone = "+1555000" + std::to_string(1000 + i);
  return a;
}

int64_t CountBooked(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM appointments WHERE cancelled = 0", -1, &st,
                             nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  int64_t n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

}  // namespace

TEST_CASE("64 threads on separate connections racing for one slot: exactly one booking, 20 rounds") {
  constexpr int kThreads = 64;
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    std::string path = infini::test::FreshDbPath("race_threads");
    auto opened = Store::Open({.path = path});
    REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
    Store& store = *opened.value();

    std::mutex mu;
    std::condition_variable cv;
    int ready = 0;
    bool go = false;
    std::atomic<int> booked{0}, refused{0}, other{0};
    std::vector<std::string> other_errors(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        // Open this thread's own connection before the start line.
        int version = store.SchemaVersion();
        {
          std::unique_lock<std::mutex> lock(mu);
          ++ready;
          cv.notify_all();
          cv.wait(lock, [&] { return go; });
        }
        if (version != Store::LatestSchemaVersion()) {
          ++other;
          return;
        }
        auto r = store.calendar().Book(Contender(i, round));
        if (r.ok()) {
          ++booked;
        } else if (r.status().IsAlreadyExists()) {
          ++refused;
        } else {
          ++other;
          other_errors[i] = r.status().ToString();
        }
      });
    }
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return ready == kThreads; });
      go = true;
      cv.notify_all();
    }
    for (auto& t : threads) t.join();
    for (const auto& e : other_errors)
      if (!e.empty()) FAIL_CHECK("round " << round << ": " << e);
    CHECK_MESSAGE(booked == 1, "round " << round);
    CHECK(refused == kThreads - 1);
    CHECK(other == 0);
    CHECK(CountBooked(path) == 1);
    CHECK(store.calendar().List("acme", 0, 2'000'000'000)->size() == 1);
  }
}

TEST_CASE("32 processes (fork) racing for one slot: exactly one booking, 5 rounds") {
  constexpr int kProcesses = 32;
  constexpr int kRounds = 5;
  for (int round = 0; round < kRounds; ++round) {
    std::string path = infini::test::FreshDbPath("race_procs");
    {  // Create and migrate the file, then close it: children open their own Store.
      auto created = Store::Open({.path = path});
      REQUIRE_MESSAGE(created.ok(), created.status().ToString());
    }
    int start_pipe[2];
    REQUIRE(::pipe(start_pipe) == 0);
    std::vector<pid_t> children;
    for (int i = 0; i < kProcesses; ++i) {
      pid_t pid = ::fork();
      REQUIRE(pid >= 0);
      if (pid == 0) {
        ::close(start_pipe[1]);
        auto store = Store::Open({.path = path});
        if (!store.ok()) ::_exit(3);
        char c;
        if (::read(start_pipe[0], &c, 1) != 0) ::_exit(4);  // EOF = go
        auto r = store.value()->calendar().Book(Contender(i, round));
        int code = r.ok() ? 0 : r.status().IsAlreadyExists() ? 1 : 2;
        store.value().reset();
        ::_exit(code);
      }
      children.push_back(pid);
    }
    ::close(start_pipe[0]);
    ::usleep(100'000);         // let the children open their stores
    ::close(start_pipe[1]);    // EOF releases them all at once
    int booked = 0, refused = 0, other = 0;
    for (pid_t pid : children) {
      int status = 0;
      REQUIRE(::waitpid(pid, &status, 0) == pid);
      REQUIRE(WIFEXITED(status));
      int code = WEXITSTATUS(status);
      if (code == 0) ++booked;
      else if (code == 1) ++refused;
      else ++other;
    }
    CHECK_MESSAGE(booked == 1, "round " << round);
    CHECK(refused == kProcesses - 1);
    CHECK(other == 0);
    CHECK(CountBooked(path) == 1);
  }
}
