// pocketsphinx: the embedded, offline streaming recognizer (Debian libpocketsphinx-dev,
// model pocketsphinx-en-us). Config keys (all optional):
//   "model_dir"  model root (default: the packaged one);  "hmm", "dict", "lm": override files
//   "telephone"  how 8 kHz audio is decoded: "upsample" (default: 8->16 kHz, wideband model)
//                or "native" (8 kHz front end on the wideband model)
//   "cmn"        cepstral mean normalization: "current" (default, streaming) or "batch"
//   "partial_interval_ms"  how often partial hypotheses are produced (default 200)
//   "bias_weight" weight of the business LM interpolated with the generic LM when a call
//                 supplies hint phrases (default 0.5; 0 = no biasing, 1 = business LM only)
//   "bias_names"  (default true) the business LM also holds "my name is <first> <surname>" over
//                 the ~200 most common given names and 100 most common surnames (common_names.h)
//   "max_decoders" idle decoders kept per model (default 4)
//   "cold_start_pass" (default true) the first turn a decoder pool hears (the channel's cepstral
//                  mean still the model's training-set -cmninit, far off for phone audio) is
//                  restarted from the mean of its own first second (short turns: re-decoded)
//   "fast_final"   skip the second (flat-lexicon) pass and the lattice rescoring that run at
//                  end of turn: lower end-of-speech -> final latency, a little less accuracy,
//                  confidence 0 (default false)
//   "pool"         a name for a decoder pool of its own (default "": the shared one): sessions
//                  in another pool never start from the channel estimate this one learned, e.g.
//                  a simulated caller's ears in the agent's process ({"pool": "caller"})
//
// Decoders (acoustic model + LM + dictionary, ~1 s to load) are pooled per process and per
// model: a session takes one for its lifetime and gives it back, so models load once per
// concurrent call, not once per call. A ps_decoder_t is never used by two threads at once.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>

#include <nlohmann/json.hpp>

extern "C" {
#include <pocketsphinx.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/err.h>
#include <sphinxbase/fe.h>
#include <sphinxbase/feat.h>
#include <sphinxbase/logmath.h>
#include <flite/flite.h>
cst_lexicon* cmu_lex_init(void);
}

#include "infini/cost.h"
#include "infini/log.h"
#include "infini/recognizer.h"
#include "infini/resampler.h"
#include "providers/asr_usage.h"
#include "providers/biasing.h"

namespace infini::providers {
namespace {

namespace fs = std::filesystem;

struct ModelFiles {
  std::string hmm, dict, lm;
  int sample_rate = 16000;  // of the decoder's front end
  std::string cmn = "current";
  bool bestpath = true;
  bool cold_start_pass = true;
  int input_rate = 16000;  // of the caller's audio (8 kHz upsampled audio gets its own pool)
  std::string pool;        // "pool": a named pool of its own
  std::string Key() const {
    return fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}", hmm, dict, lm, sample_rate, cmn, bestpath, input_rate,
                       cold_start_pass, pool);
  }
};

struct Decoder {
  ps_decoder_t* ps = nullptr;
  std::string default_search;
  std::set<std::string> searches;  // bias searches already built on this decoder

  std::vector<mfcc_t> CmnMean() const {
    feat_t* feat = ps_get_feat(ps);
    if (!feat || !feat->cmn_struct) return {};
    return {feat->cmn_struct->cmn_mean, feat->cmn_struct->cmn_mean + feat->cmn_struct->veclen};
  }
  void SetCmnMean(const std::vector<mfcc_t>& mean) {
    feat_t* feat = ps_get_feat(ps);
    if (feat && feat->cmn_struct && static_cast<int>(mean.size()) == feat->cmn_struct->veclen)
      cmn_live_set(feat->cmn_struct, mean.data());
  }
  // The cepstral mean of `pcm` itself (the decoder's own front end; not in an utterance).
  std::vector<mfcc_t> MeasureCmnMean(const std::vector<int16_t>& pcm) const {
    fe_t* fe = ps_get_fe(ps);
    if (!fe || pcm.empty() || fe_start_utt(fe) < 0) return {};
    const int ncep = fe_get_output_size(fe);
    mfcc_t** cep = nullptr;
    int32 nfr = 0;
    std::vector<mfcc_t> mean;
    if (fe_process_utt(fe, pcm.data(), pcm.size(), &cep, &nfr) >= 0 && cep && nfr > 0 && ncep > 0) {
      std::vector<double> sum(static_cast<size_t>(ncep), 0.0);
      for (int32 i = 0; i < nfr; ++i)
        for (int j = 0; j < ncep; ++j) sum[static_cast<size_t>(j)] += cep[i][j];
      for (double s : sum) mean.push_back(static_cast<mfcc_t>(s / nfr));
    }
    if (cep) fe_free_2d(cep);
    std::vector<mfcc_t> tail(static_cast<size_t>(std::max(ncep, 1)));
    int32 ntail = 0;
    fe_end_utt(fe, tail.data(), &ntail);
    return mean;
  }
};

// A copy of the model's feat.params with the filter bank capped at 3500 Hz, for 8 kHz input.
Result<std::string> NarrowbandFeatParams(const std::string& hmm) {
  std::ifstream in(fs::path(hmm) / "feat.params");
  if (!in) return Status::NotFound(fmt::format("pocketsphinx: '{}/feat.params' not found", hmm));
  std::string out, line;
  while (std::getline(in, line)) {
    if (line.rfind("-upperf", 0) == 0) line = "-upperf 3500";
    out += line + "\n";
  }
  const fs::path path = fs::temp_directory_path() /
                        fmt::format("infini-feat8k-{:016x}.params", std::hash<std::string>{}(hmm + out));
  std::ofstream file(path);
  file << out;
  if (!file) return Status::IOError(fmt::format("pocketsphinx: cannot write '{}'", path.string()));
  return path.string();
}

class DecoderPool {
 public:
  DecoderPool(ModelFiles files, size_t max_idle) : files_(std::move(files)), max_idle_(max_idle) {}

  Result<std::unique_ptr<Decoder>> Acquire() {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        auto d = std::move(idle_.back());
        idle_.pop_back();
        return d;
      }
    }
    const auto t0 = std::chrono::steady_clock::now();
    const std::string rate = std::to_string(files_.sample_rate);
    cmd_ln_t* config;
    if (files_.sample_rate == 8000) {
      // The model's feat.params (upperf 6800 Hz) would override our flags and fail above the
      // 4 kHz Nyquist limit: give the decoder a copy limited to the telephone band.
      auto feat = NarrowbandFeatParams(files_.hmm);
      if (!feat.ok()) return feat.status();
      config = cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", files_.hmm.c_str(), "-dict",
                           files_.dict.c_str(), "-lm", files_.lm.c_str(), "-samprate", "8000",
                           "-nfft", "256", "-featparams", feat->c_str(), "-cmn", files_.cmn.c_str(),
                           "-bestpath", files_.bestpath ? "yes" : "no", "-fwdflat", files_.bestpath ? "yes" : "no", nullptr);
    } else {
      config = cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", files_.hmm.c_str(), "-dict",
                           files_.dict.c_str(), "-lm", files_.lm.c_str(), "-samprate", rate.c_str(),
                           "-cmn", files_.cmn.c_str(), "-bestpath", files_.bestpath ? "yes" : "no", "-fwdflat", files_.bestpath ? "yes" : "no", nullptr);
    }
    if (!config) return Status::InvalidArgument("pocketsphinx: could not build the decoder configuration");
    ps_decoder_t* ps = nullptr;
    {
      // sphinxbase's log is one process-wide FILE*: a "-logfn" made every ps_init fclose the one
      // another thread's ps_init was writing to (a segfault in fputc when two calls started at
      // once). Logging is switched off once instead, and decoder loads do not overlap.
      static std::once_flag quiet;
      std::call_once(quiet, [] { err_set_logfp(nullptr); });
      static std::mutex init_mu;
      std::lock_guard init_lock(init_mu);
      ps = ps_init(config);
    }
    cmd_ln_free_r(config);
    if (!ps)
      return Status::Corruption(fmt::format("pocketsphinx: failed to load model (hmm '{}', dict '{}', lm '{}')",
                                            files_.hmm, files_.dict, files_.lm));
    auto d = std::make_unique<Decoder>();
    d->ps = ps;
    d->default_search = ps_get_search(ps);
    {
      std::lock_guard lock(mu_);
      if (channel_prior_.empty()) channel_prior_ = d->CmnMean();
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    INFINI_LOG(kInfo, "pocketsphinx: loaded decoder {} for {} Hz in {:.0f} ms", ++created_, files_.sample_rate, ms);
    return d;
  }

  bool bestpath() const { return files_.bestpath; }
  bool cold_start_pass() const { return files_.cold_start_pass; }
  // False until a turn of real audio has set the channel estimate (see cold_start_pass).
  bool warm() {
    std::lock_guard lock(mu_);
    return warm_;
  }

  // Live CMN (the channel's cepstral mean) is learned while decoding. Every session of a pool
  // starts from the estimate left by the pool's last finished turn (at first, the model's
  // -cmninit), so a pooled decoder's own history does not matter, and telephone audio (which
  // has its own pool) does not start from a wideband estimate or vice versa.
  std::vector<mfcc_t> ChannelPrior() {
    std::lock_guard lock(mu_);
    return channel_prior_;
  }
  void SetChannelPrior(std::vector<mfcc_t> mean, bool from_real_turn = true) {
    std::lock_guard lock(mu_);
    channel_prior_ = std::move(mean);
    if (from_real_turn) warm_ = true;
  }

  void Release(std::unique_ptr<Decoder> d) {
    std::lock_guard lock(mu_);
    if (idle_.size() < max_idle_) {
      idle_.push_back(std::move(d));
    } else {
      ps_free(d->ps);
    }
  }

 private:
  ModelFiles files_;
  size_t max_idle_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Decoder>> idle_;
  std::vector<mfcc_t> channel_prior_;
  bool warm_ = false;
  std::atomic<int> created_{0};
};

// Process-wide pools, one per model configuration. Never destroyed: decoders outlive
// static destruction order problems, and they stay reachable (no leak reports).
std::shared_ptr<DecoderPool> PoolFor(const ModelFiles& files, size_t max_idle) {
  static std::mutex mu;
  static auto* pools = new std::map<std::string, std::shared_ptr<DecoderPool>>();
  std::lock_guard lock(mu);
  auto& pool = (*pools)[files.Key()];
  if (!pool) pool = std::make_shared<DecoderPool>(files, max_idle);
  return pool;
}

// Pronunciations for words missing from cmudict, from flite's lexicon + letter-to-sound rules.
std::string FlitePronunciation(const std::string& word) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  static cst_lexicon* lex = [] {
    flite_init();
    return cmu_lex_init();
  }();
  cst_val* phones = lex_lookup(lex, word.c_str(), nullptr, nullptr);
  std::string out;
  for (const cst_val* p = phones; p; p = val_cdr(p)) {
    std::string ph = val_string(val_car(p));
    ph.erase(std::remove_if(ph.begin(), ph.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }),
             ph.end());
    if (ph == "pau" || ph.empty()) continue;
    if (ph == "ax") ph = "ah";
    std::transform(ph.begin(), ph.end(), ph.begin(), [](char c) { return std::toupper(static_cast<unsigned char>(c)); });
    out += (out.empty() ? "" : " ") + ph;
  }
  if (phones) delete_val(phones);
  return out;
}

bool KnownOrAdded(ps_decoder_t* ps, const std::string& word) {
  if (char* p = ps_lookup_word(ps, word.c_str())) {
    ckd_free(p);
    return true;
  }
  const std::string phones = FlitePronunciation(word);
  if (phones.empty()) return false;
  if (ps_add_word(ps, word.c_str(), phones.c_str(), FALSE) < 0) {
    INFINI_LOG(kDebug, "pocketsphinx: could not add '{}' /{}/", word, phones);
    return false;
  }
  INFINI_LOG(kDebug, "pocketsphinx: added '{}' /{}/ from flite's lexicon", word, phones);
  return true;
}

struct BiasSearch {
  std::string name;      // empty: no biasing
  bool grammar = false;  // an explicit JSGF grammar (second pass) rather than a biased LM
};

struct Hypothesis {
  std::string text;
  int32 score = 0;
  double confidence = 0;
  std::vector<RecognizedWord> words;
};

Hypothesis ReadHypothesis(ps_decoder_t* ps, bool with_confidence) {
  Hypothesis h;
  const char* hyp = ps_get_hyp(ps, &h.score);
  if (hyp) h.text = hyp;
  if (with_confidence) h.confidence = std::clamp(logmath_exp(ps_get_logmath(ps), ps_get_prob(ps)), 0.0, 1.0);
  // Segment frames count from the decoder's first utterance; the last segment (silence
  // included) ends at this utterance's last frame, which gives the offset.
  int last_frame = -1;
  for (ps_seg_t* seg = ps_seg_iter(ps); seg; seg = ps_seg_next(seg)) {
    const char* w = ps_seg_word(seg);
    int sf = 0, ef = 0;
    ps_seg_frames(seg, &sf, &ef);
    last_frame = std::max(last_frame, ef);
    if (!w || w[0] == '<' || w[0] == '[') continue;
    std::string word = w;
    if (auto paren = word.find('('); paren != std::string::npos) word.resize(paren);  // "the(2)"
    h.words.push_back({word, sf * 10LL, (ef + 1) * 10LL});
  }
  const int64_t offset_ms = std::max<int64_t>(0, (last_frame + 1 - ps_get_n_frames(ps)) * 10LL);
  for (auto& w : h.words) {
    w.start_ms -= offset_ms;
    w.end_ms -= offset_ms;
  }
  return h;
}

class PocketsphinxSession : public RecognizerSession {
 public:
  PocketsphinxSession(std::shared_ptr<DecoderPool> pool, std::unique_ptr<Decoder> decoder,
                      RecognizerOptions options, TranscriptCallback cb, int decoder_rate,
                      std::unique_ptr<Resampler> upsampler, BiasSearch bias, int partial_interval_ms)
      : pool_(std::move(pool)), d_(std::move(decoder)), options_(std::move(options)), on_transcript_(std::move(cb)),
        decoder_rate_(decoder_rate), upsampler_(std::move(upsampler)), bias_(std::move(bias)),
        partial_interval_samples_(static_cast<int64_t>(partial_interval_ms) * decoder_rate / 1000) {
    // A biased LM is the streaming search itself; a grammar runs as a second pass.
    d_->SetCmnMean(pool_->ChannelPrior());
    with_confidence_ = pool_->bestpath();
    stream_search_ = bias_.name.empty() || bias_.grammar ? d_->default_search : bias_.name;
    if (stream_search_ != ps_get_search(d_->ps)) ps_set_search(d_->ps, stream_search_.c_str());
    stream_source_ = stream_search_ == d_->default_search ? "pocketsphinx/lm" : "pocketsphinx/biased-lm";
    // Embedded: priced at 0, metered so a call's usage shows which recognizer heard it.
    usage_.Attach(options_.usage, "", options_.sample_rate);
  }

  ~PocketsphinxSession() override {
    usage_.Flush();  // the tail after the last turn
    if (in_utt_) ps_end_utt(d_->ps);
    if (ps_get_search(d_->ps) != d_->default_search) ps_set_search(d_->ps, d_->default_search.c_str());
    pool_->Release(std::move(d_));
  }

  Status Push(const AudioFrame& frame) override {
    if (frame.sample_rate != options_.sample_rate)
      return Status::InvalidArgument(fmt::format(
          "pocketsphinx: frame at {} Hz pushed to a session opened for {} Hz", frame.sample_rate, options_.sample_rate));
    if (frame.channels != 1)
      return Status::InvalidArgument(fmt::format("pocketsphinx: {} channels; only mono is supported", frame.channels));
    if (frame.samples.empty()) return Status::OK();
    usage_.Count(frame.samples.size());  // metered once per turn (EndTurn, Reset, destruction)
    std::span<const int16_t> pcm = frame.samples;
    if (upsampler_) {
      scratch_.clear();
      INFINI_RETURN_IF_ERROR(upsampler_->Process(frame.samples, scratch_));
      pcm = scratch_;
    }
    if (!in_utt_) {
      if (ps_start_utt(d_->ps) < 0) return Status::Internal("pocketsphinx: ps_start_utt failed");
      in_utt_ = true;
    }
    turn_audio_.insert(turn_audio_.end(), pcm.begin(), pcm.end());
    if (!pcm.empty() && ps_process_raw(d_->ps, pcm.data(), pcm.size(), FALSE, FALSE) < 0)
      return Status::Internal("pocketsphinx: ps_process_raw failed");
    // Cold channel estimate: once the first second of the pool's first turn is in, restart that
    // turn from the cepstral mean of its own audio (redoing 1 s while the caller still speaks, so
    // the end-of-turn latency does not grow; see cold_start_pass).
    if (!cold_restarted_ && pool_->cold_start_pass() && turn_audio_.size() >= static_cast<size_t>(decoder_rate_) &&
        !pool_->warm()) {
      cold_restarted_ = true;
      auto mean = d_->MeasureCmnMean(turn_audio_);
      if (!mean.empty()) {
        ps_end_utt(d_->ps);
        d_->SetCmnMean(mean);
        if (ps_start_utt(d_->ps) < 0) return Status::Internal("pocketsphinx: ps_start_utt failed");
        if (ps_process_raw(d_->ps, turn_audio_.data(), turn_audio_.size(), FALSE, FALSE) < 0)
          return Status::Internal("pocketsphinx: ps_process_raw failed");
        INFINI_LOG(kDebug, "pocketsphinx: cold first turn restarted with its own cepstral mean");
      }
    }
    since_partial_ += static_cast<int64_t>(pcm.size());
    if (options_.partials && on_transcript_ && since_partial_ >= partial_interval_samples_) {
      since_partial_ = 0;
      int32 score = 0;
      const char* hyp = ps_get_hyp(d_->ps, &score);
      std::string text = hyp ? hyp : "";
      if (!text.empty() && text != last_partial_) {
        last_partial_ = text;
        Transcript t;
        t.text = text;
        t.source = stream_source_;
        t.end_ms = static_cast<int64_t>(turn_audio_.size()) * 1000 / decoder_rate_;
        on_transcript_(t);
      }
    }
    return Status::OK();
  }

  Result<Transcript> EndTurn() override {
    usage_.Flush();
    Transcript t;
    t.is_final = true;
    if (upsampler_) {  // drain the resampler's filter delay into this turn
      scratch_.clear();
      INFINI_RETURN_IF_ERROR(upsampler_->Flush(scratch_));
      upsampler_->Reset();
      if (!scratch_.empty() && in_utt_) {
        turn_audio_.insert(turn_audio_.end(), scratch_.begin(), scratch_.end());
        ps_process_raw(d_->ps, scratch_.data(), scratch_.size(), FALSE, FALSE);
      }
    }
    if (in_utt_) {
      ps_end_utt(d_->ps);
      in_utt_ = false;
      // Cold channel estimate (the first turn this pool hears, >= 0.5 s): what was decoded used
      // the model's training-set mean, which garbles phone audio ("go forward ten meters" ->
      // "harvard hm"). Decode the turn again from the mean of its own audio; once per pool.
      // (A turn of 1 s or more was already restarted that way in Push.)
      const bool cold = pool_->cold_start_pass() && !pool_->warm() && !cold_restarted_ &&
                        turn_audio_.size() >= static_cast<size_t>(decoder_rate_ / 2);
      if (cold) {
        auto mean = d_->MeasureCmnMean(turn_audio_);
        if (!mean.empty()) {
          d_->SetCmnMean(mean);
          if (ps_start_utt(d_->ps) >= 0) {
            ps_process_raw(d_->ps, turn_audio_.data(), turn_audio_.size(), FALSE, FALSE);
            ps_end_utt(d_->ps);
            INFINI_LOG(kDebug, "pocketsphinx: cold first turn decoded again with its own cepstral mean");
          }
        }
      }
      pool_->SetChannelPrior(d_->CmnMean(), turn_audio_.size() >= static_cast<size_t>(decoder_rate_ / 2));
      const int frames = std::max(1, ps_get_n_frames(d_->ps));
      Hypothesis lm = ReadHypothesis(d_->ps, with_confidence_);
      Hypothesis chosen = lm;
      t.source = stream_source_;
      if (bias_.grammar && !turn_audio_.empty()) {
        ps_set_search(d_->ps, bias_.name.c_str());
        ps_start_utt(d_->ps);
        ps_process_raw(d_->ps, turn_audio_.data(), turn_audio_.size(), FALSE, TRUE);
        ps_end_utt(d_->ps);
        Hypothesis g = ReadHypothesis(d_->ps, false);
        ps_set_search(d_->ps, stream_search_.c_str());
        INFINI_LOG(kDebug, "pocketsphinx: {} frames, lm '{}', grammar '{}'", frames, lm.text, g.text);
        // In-grammar speech parses; out-of-grammar speech gives no parse and the generic
        // LM's words are kept, so the caller is never left with nothing.
        if (!g.text.empty()) {
          chosen = std::move(g);
          chosen.confidence = std::max(chosen.confidence, lm.confidence);
          t.source = "pocketsphinx/grammar";
        }
      }
      t.text = chosen.text;
      t.confidence = chosen.confidence;
      t.words = std::move(chosen.words);
      if (!t.words.empty()) {
        t.start_ms = t.words.front().start_ms;
        t.end_ms = t.words.back().end_ms;
      }
    }
    turn_audio_.clear();
    since_partial_ = 0;
    last_partial_.clear();
    if (on_transcript_) on_transcript_(t);
    return t;
  }

  void Reset() override {
    usage_.Flush();  // dropped without a result, but heard
    if (in_utt_) ps_end_utt(d_->ps);
    in_utt_ = false;
    if (upsampler_) upsampler_->Reset();
    turn_audio_.clear();
    since_partial_ = 0;
    last_partial_.clear();
  }

 private:
  std::shared_ptr<DecoderPool> pool_;
  std::unique_ptr<Decoder> d_;
  RecognizerOptions options_;
  TranscriptCallback on_transcript_;
  int decoder_rate_;
  std::unique_ptr<Resampler> upsampler_;
  BiasSearch bias_;
  int64_t partial_interval_samples_;
  std::string stream_search_, stream_source_;
  bool with_confidence_ = true;
  bool in_utt_ = false;
  bool cold_restarted_ = false;  // this session restarted a cold turn (see Push)
  std::vector<int16_t> turn_audio_;  // at decoder_rate_, for the biased second pass
  std::vector<int16_t> scratch_;
  int64_t since_partial_ = 0;
  std::string last_partial_;
  AsrUsage usage_{"pocketsphinx"};
};

class PocketsphinxRecognizer : public Recognizer {
 public:
  PocketsphinxRecognizer(ModelFiles wide, std::string telephone, size_t max_idle, int partial_interval_ms,
                         double bias_weight, bool bias_names)
      : wide_(std::move(wide)), telephone_(std::move(telephone)), max_idle_(max_idle),
        partial_interval_ms_(partial_interval_ms), bias_weight_(bias_weight), bias_names_(bias_names) {}

  Result<std::unique_ptr<RecognizerSession>> Start(const RecognizerOptions& options,
                                                   TranscriptCallback on_transcript) override {
    if (options.sample_rate != 8000 && options.sample_rate != 16000)
      return Status::InvalidArgument(fmt::format(
          "pocketsphinx: sample_rate {} Hz not supported (use 16000, or 8000 for telephone audio)",
          options.sample_rate));
    ModelFiles files = wide_;
    files.input_rate = options.source_rate > 0 ? std::min(options.source_rate, options.sample_rate) : options.sample_rate;
    std::unique_ptr<Resampler> upsampler;
    if (options.sample_rate == 8000) {
      if (telephone_ == "native") {
        files.sample_rate = 8000;
      } else {
        // The half-band FIR the host used to run before the recognizer (twilio_pipeline_rate
        // 16000): same audio to the decoder, and it stays in cache with thousands of calls.
        auto r = Resampler::Create({.from_hz = 8000, .to_hz = 16000, .backend = ResamplerBackend::kHalfband});
        if (!r.ok()) return r.status();
        upsampler = std::move(r).value();
      }
    }
    auto pool = PoolFor(files, max_idle_);
    auto decoder = pool->Acquire();
    if (!decoder.ok()) return decoder.status();
    BiasSearch bias;
    if (!options.hints.empty()) {
      auto name = EnsureBiasSearch(**decoder, options.hints);
      if (!name.ok()) {
        pool->Release(std::move(decoder).value());
        return name.status();
      }
      bias = *name;
    }
    return std::unique_ptr<RecognizerSession>(std::make_unique<PocketsphinxSession>(
        pool, std::move(decoder).value(), options, std::move(on_transcript), files.sample_rate,
        std::move(upsampler), bias, partial_interval_ms_));
  }

  std::string name() const override { return "pocketsphinx"; }

 private:
  // Builds (once per decoder and hint set) the search biasing this call: an explicit JSGF
  // grammar, or the generic LM interpolated with a bigram LM of the business phrases.
  Result<BiasSearch> EnsureBiasSearch(Decoder& d, const RecognizerHints& hints) const {
    const bool grammar = !hints.jsgf.empty();
    std::string key = grammar ? hints.jsgf : fmt::format("{}", fmt::join(hints.phrases, "\n"));
    const std::string name = fmt::format("{}_{:016x}_{}{}", grammar ? "jsgf" : "bias", std::hash<std::string>{}(key),
                                         static_cast<int>(bias_weight_ * 1000), bias_names_ ? "n" : "");
    if (d.searches.count(name)) return BiasSearch{name, grammar};
    if (d.searches.size() >= 8) {  // bound per-decoder memory: drop older biasing searches
      for (const auto& old : d.searches) ps_unset_search(d.ps, old.c_str());
      d.searches.clear();
    }
    if (grammar) {
      if (ps_set_jsgf_string(d.ps, name.c_str(), hints.jsgf.c_str()) < 0)
        return Status::InvalidArgument(fmt::format(
            "pocketsphinx: JSGF grammar rejected (syntax error or words missing from the dictionary): {}",
            hints.jsgf.substr(0, 200)));
    } else {
      std::map<std::string, bool> known;
      auto is_known = [&](const std::string& w) {
        auto it = known.find(w);
        if (it == known.end()) it = known.emplace(w, KnownOrAdded(d.ps, w)).first;
        return it->second;
      };
      const std::string arpa = BuildArpaBigram(BiasCorpus(hints.phrases, {.common_names = bias_names_}), is_known);
      const fs::path path = fs::temp_directory_path() /
                            fmt::format("infini-bias-{}-{:x}.arpa", name, reinterpret_cast<uintptr_t>(d.ps));
      {
        std::ofstream out(path);
        out << arpa;
        if (!out) return Status::IOError(fmt::format("pocketsphinx: cannot write bias LM to '{}'", path.string()));
      }
      ngram_model_t* business = ngram_model_read(ps_get_config(d.ps), path.c_str(), NGRAM_ARPA, ps_get_logmath(d.ps));
      std::error_code ec;
      fs::remove(path, ec);
      if (!business) return Status::Internal("pocketsphinx: the business bias LM could not be read back");
      ngram_model_t* generic = ps_get_lm(d.ps, d.default_search.c_str());
      if (!generic) {
        ngram_model_free(business);
        return Status::Internal("pocketsphinx: the decoder has no generic language model to bias");
      }
      ngram_model_retain(generic);
      ngram_model_t* models[2] = {generic, business};
      char generic_name[] = "generic", business_name[] = "business";
      char* names[2] = {generic_name, business_name};
      const float32 weights[2] = {static_cast<float32>(1.0 - bias_weight_), static_cast<float32>(bias_weight_)};
      ngram_model_t* set = ngram_model_set_init(ps_get_config(d.ps), models, names, weights, 2);
      if (!set || ps_set_lm(d.ps, name.c_str(), set) < 0)
        return Status::Internal("pocketsphinx: could not build the biased language model search");
      ngram_model_free(set);  // the search holds its own reference
    }
    d.searches.insert(name);
    return BiasSearch{name, grammar};
  }

  ModelFiles wide_;
  std::string telephone_;
  size_t max_idle_;
  int partial_interval_ms_;
  double bias_weight_;
  bool bias_names_;
};

}  // namespace

Result<std::unique_ptr<Recognizer>> MakePocketsphinxRecognizer(const nlohmann::json& config) {
  const std::string model_dir = config.value("model_dir", std::string(INFINI_POCKETSPHINX_MODELDIR));
  ModelFiles files;
  files.hmm = config.value("hmm", model_dir + "/en-us/en-us");
  files.dict = config.value("dict", model_dir + "/en-us/cmudict-en-us.dict");
  files.lm = config.value("lm", model_dir + "/en-us/en-us.lm.bin");
  files.cmn = config.value("cmn", std::string("current"));
  files.bestpath = !config.value("fast_final", false);
  files.cold_start_pass = config.value("cold_start_pass", true);
  if (auto pool = config.find("pool"); pool != config.end() && !pool->is_null()) {
    if (!pool->is_string())
      return Status::InvalidArgument(fmt::format("pocketsphinx: \"pool\" must be a string, got {}", pool->dump()));
    files.pool = pool->get<std::string>();
  }
  if (!fs::is_directory(files.hmm) || !fs::exists(fs::path(files.hmm) / "mdef"))
    return Status::NotFound(fmt::format(
        "pocketsphinx: acoustic model directory '{}' not found or has no 'mdef' (install pocketsphinx-en-us or set \"hmm\")",
        files.hmm));
  if (!fs::is_regular_file(files.dict))
    return Status::NotFound(fmt::format("pocketsphinx: pronunciation dictionary '{}' not found (set \"dict\")", files.dict));
  if (!fs::is_regular_file(files.lm))
    return Status::NotFound(fmt::format("pocketsphinx: language model '{}' not found (set \"lm\")", files.lm));
  const std::string telephone = config.value("telephone", std::string("upsample"));
  if (telephone != "upsample" && telephone != "native")
    return Status::InvalidArgument(
        fmt::format("pocketsphinx: \"telephone\" must be \"upsample\" or \"native\", not '{}'", telephone));
  if (files.cmn != "current" && files.cmn != "batch" && files.cmn != "none")
    return Status::InvalidArgument(fmt::format("pocketsphinx: \"cmn\" must be current, batch or none, not '{}'", files.cmn));
  const int partial_ms = config.value("partial_interval_ms", 200);
  if (partial_ms <= 0) return Status::InvalidArgument("pocketsphinx: partial_interval_ms must be > 0");
  const double margin = config.value("bias_weight", 0.5);
  if (margin < 0 || margin > 1) return Status::InvalidArgument("pocketsphinx: bias_weight must be within 0..1");
  const int max_decoders = config.value("max_decoders", 4);
  auto bias_names = config.find("bias_names");
  if (bias_names != config.end() && !bias_names->is_boolean())
    return Status::InvalidArgument(fmt::format("pocketsphinx: \"bias_names\" must be true or false, got {}",
                                               bias_names->dump()));
  return std::unique_ptr<Recognizer>(std::make_unique<PocketsphinxRecognizer>(
      files, telephone, static_cast<size_t>(std::max(1, max_decoders)), partial_ms, margin,
      bias_names == config.end() || bias_names->get<bool>()));
}

}  // namespace infini::providers
