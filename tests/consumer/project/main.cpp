// An outside program that uses only the installed public API.
#include <cstdio>

#include <algorithm>

#include <infini/g711.h>
#include <infini/language_model.h>
#include <infini/registry.h>
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
  // The network providers reach Builtin() only through a weak reference; the link options
  // of infini::infini / infini.pc must pull them out of the static archive.
  auto models = infini::ProviderRegistry::Builtin().Names<infini::LanguageModel>();
  if (std::find(models.begin(), models.end(), "openai") == models.end()) return 4;
  std::puts("consumer ok");
  return 0;
}
