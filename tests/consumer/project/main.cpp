// An outside program that uses only the installed public API.
#include <cstdio>

#include <infini/g711.h>
#include <infini/resampler.h>
#include <infini/status.h>

int main() {
  infini::Status s = infini::Status::NotFound("nothing");
  if (s.ok() || s.ToString() != "Not found: nothing") return 1;
  std::vector<int16_t> pcm(160, 1000), wide;
  auto ulaw = infini::g711::EncodeUlaw(pcm);
  auto back = infini::g711::DecodeUlaw(ulaw);
  auto up = infini::Resampler::Create({.from_hz = 8000, .to_hz = 16000});
  if (!up.ok() || !(*up)->Process(back, wide).ok() || !(*up)->Flush(wide).ok()) return 2;
  if (wide.size() < 300) return 3;
  std::puts("consumer ok");
  return 0;
}
