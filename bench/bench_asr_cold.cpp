// The first turn a fresh pocketsphinx process decodes ("cold": the live cepstral mean is still
// the model's training-set -cmninit) against the same audio decoded again ("warm"), with and
// without the recognizer's cold_start_pass. Each cold decode runs in a fresh child process (the
// decoder pools are per process). Real recordings (Debian pocketsphinx-testdata), at 16 kHz and
// through the telephone path (8 kHz mu-law, upsampled by the recognizer).
//
//   build/bench/bench_asr_cold [-v]
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "infini/g711.h"
#include "infini/log.h"
#include "infini/recognizer.h"
#include "infini/registry.h"
#include "infini/resampler.h"
#include "providers/speech_data.h"
#include "providers/wer.h"

using namespace infini;

namespace {

std::vector<int16_t> TelephonePath(const std::vector<int16_t>& pcm16k) {
  auto down = Resampler::Create({.from_hz = 16000, .to_hz = 8000});
  std::vector<int16_t> pcm8k;
  (void)(*down)->Process(pcm16k, pcm8k);
  (void)(*down)->Flush(pcm8k);
  return g711::DecodeUlaw(g711::EncodeUlaw(pcm8k));
}

double g_end_turn_ms = 0;  // EndTurn() of the last Decode: end of speech -> final

std::string Decode(Recognizer& asr, const std::vector<int16_t>& pcm, int rate) {
  auto session = asr.Start({.sample_rate = rate}, nullptr);
  if (!session.ok()) return "<start failed: " + session.status().ToString() + ">";
  const size_t per_frame = static_cast<size_t>(AudioFrame::SamplesPerFrame(rate));
  for (size_t at = 0; at < pcm.size(); at += per_frame) {
    AudioFrame f;
    f.sample_rate = rate;
    f.samples.assign(pcm.begin() + static_cast<long>(at), pcm.begin() + static_cast<long>(std::min(pcm.size(), at + per_frame)));
    (void)(*session)->Push(f);
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto final = (*session)->EndTurn();
  g_end_turn_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return final.ok() ? final->text : "";
}

// Child: decode recording `index` twice in this fresh process; print errors and hypotheses.
int One(int index, int rate, bool pass) {
  SetLogLevel(LogLevel::kWarn);
  auto recs = speechdata::PackagedRecordings();
  if (index < 0 || index >= static_cast<int>(recs.size())) return 2;
  const auto& r = recs[static_cast<size_t>(index)];
  const auto pcm = rate == 8000 ? TelephonePath(r.pcm16k) : r.pcm16k;
  auto asr = ProviderRegistry::Builtin().Make<Recognizer>(
      nlohmann::json{{"name", "pocketsphinx"}, {"cold_start_pass", pass}});
  if (!asr.ok()) return 1;
  const std::string cold = Decode(**asr, pcm, rate);
  const double cold_ms = g_end_turn_ms;
  const std::string warm = Decode(**asr, pcm, rate);
  const auto ec = providers::CountWordErrors(r.transcript, cold);
  const auto ew = providers::CountWordErrors(r.transcript, warm);
  std::printf("%d %d %d %.0f %.0f|%s|%s\n", ec.reference_words, ec.errors(), ew.errors(), cold_ms, g_end_turn_ms,
              cold.c_str(), warm.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 5 && std::strcmp(argv[1], "--one") == 0) return One(std::atoi(argv[2]), std::atoi(argv[3]), std::atoi(argv[4]) != 0);
  const bool verbose = argc > 1 && std::strcmp(argv[1], "-v") == 0;
  const size_t n = speechdata::PackagedRecordings().size();
  if (n == 0) {
    std::fprintf(stderr, "no recordings in %s (install pocketsphinx-testdata? see scripts/install-deps)\n",
                 speechdata::kTestData.c_str());
    return 1;
  }
  fmt::print("| audio path | cold_start_pass | words | WER first turn (cold) | WER same audio again (warm) | final latency cold / warm (mean ms) |\n");
  fmt::print("|---|---|---|---|---|---|\n");
  for (int rate : {16000, 8000}) {
    for (bool pass : {false, true}) {
      int words = 0, cold = 0, warm = 0, runs = 0;
      double cold_ms = 0, warm_ms = 0;
      for (size_t i = 0; i < n; ++i) {
        const std::string cmd = fmt::format("'{}' --one {} {} {}", argv[0], i, rate, pass ? 1 : 0);
        FILE* p = popen(cmd.c_str(), "r");
        if (!p) return 1;
        std::array<char, 4096> line{};
        std::string out;
        while (std::fgets(line.data(), line.size(), p)) out += line.data();
        pclose(p);
        int w = 0, c = 0, m = 0;
        double cm = 0, wm = 0;
        if (std::sscanf(out.c_str(), "%d %d %d %lf %lf", &w, &c, &m, &cm, &wm) != 5) {
          std::fprintf(stderr, "child %zu failed: %s\n", i, out.c_str());
          continue;
        }
        words += w, cold += c, warm += m, cold_ms += cm, warm_ms += wm, ++runs;
        if (verbose) std::fprintf(stderr, "[%d Hz, pass %d] %s", rate, pass, out.c_str());
      }
      fmt::print("| {} | {} | {} | {:.1f}% | {:.1f}% | {:.0f} / {:.0f} |\n", rate == 8000 ? "telephone (8 kHz mu-law)" : "16 kHz",
                 pass ? "on (default)" : "off", words, 100.0 * cold / std::max(1, words), 100.0 * warm / std::max(1, words),
                 cold_ms / std::max(1, runs), warm_ms / std::max(1, runs));
    }
  }
  return 0;
}
