// Scratch database paths for the store tests: unique per process and test, removed first.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <string>

namespace infini::test {

inline std::string FreshDbPath(const std::string& name) {
  std::string path = std::string(INFINI_TEST_TMP) + "/store_" + name + "_" +
                     std::to_string(::getpid()) + ".db";
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::remove((path + suffix).c_str());
  return path;
}

}  // namespace infini::test
