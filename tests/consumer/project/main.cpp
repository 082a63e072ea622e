// An outside program that uses only the installed public API.
#include <cstdio>

#include <infini/status.h>

int main() {
  infini::Status s = infini::Status::NotFound("nothing");
  if (s.ok() || s.ToString() != "Not found: nothing") return 1;
  std::puts("consumer ok");
  return 0;
}
