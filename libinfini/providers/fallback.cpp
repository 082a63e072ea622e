#include "providers/fallback.h"

#include <atomic>
#include <mutex>

#include "infini/log.h"

namespace infini::providers {
namespace {

// Runs fn(), turning an exception into Unavailable("<provider>: <call> threw: <what>").
template <class F>
auto Guard(const std::string& provider, const char* call, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return Status::Unavailable(fmt::format("{}: {} threw: {}", provider, call, e.what()));
  } catch (...) {
    return Status::Unavailable(fmt::format("{}: {} threw a non-standard exception", provider, call));
  }
}

// The last member's error, its code kept (a bad sample rate stays InvalidArgument), with
// the chain's context in front when there was more than one member.
Status ChainError(const Status& last, size_t members, const char* kind) {
  if (members <= 1) return last;
  std::string msg = fmt::format("every {} in the chain failed; last error: {}", kind, last.message());
  switch (last.code()) {
    case Status::Code::kInvalidArgument: return Status::InvalidArgument(msg);
    case Status::Code::kNotFound: return Status::NotFound(msg);
    case Status::Code::kCancelled: return Status::Cancelled(msg);
    case Status::Code::kDeadlineExceeded: return Status::DeadlineExceeded(msg);
    default: return Status::Unavailable(msg);
  }
}

std::string SafeName(const auto& provider) {
  try {
    return provider->name();
  } catch (...) {
    return "unnamed provider";
  }
}

// ---------------------------------------------------------------- recognizer

class FallbackRecognizerSession : public RecognizerSession {
 public:
  FallbackRecognizerSession(const std::vector<std::unique_ptr<Recognizer>>* chain, RecognizerOptions options,
                            TranscriptCallback cb)
      : chain_(chain), options_(std::move(options)), on_transcript_(std::move(cb)) {}

  // Opens a session on member `from` or the next one that starts; replays this turn's audio.
  Status OpenFrom(size_t from, Status why) {
    session_.reset();
    for (size_t i = from; i < chain_->size(); ++i) {
      const auto& member = (*chain_)[i];
      const std::string name = SafeName(member);
      auto started = Guard(name, "Start", [&] { return member->Start(options_, on_transcript_); });
      if (!started.ok()) {
        INFINI_LOG(kWarn, "recognizer chain: {} unavailable: {}", name, started.status().ToString());
        why = started.status();
        continue;
      }
      session_ = std::move(started).value();
      index_ = i;
      Status replay;
      for (const AudioFrame& f : turn_) {
        replay = Guard(name, "Push", [&] { return session_->Push(f); });
        if (!replay.ok()) break;
      }
      if (replay.ok()) {
        if (i != from || !why.ok()) INFINI_LOG(kWarn, "recognizer chain: now using {}", name);
        return Status::OK();
      }
      INFINI_LOG(kWarn, "recognizer chain: {} failed on replay: {}", name, replay.ToString());
      why = replay;
      session_.reset();
    }
    return ChainError(why, chain_->size(), "recognizer");
  }

  Status Push(const AudioFrame& frame) override {
    if (frame.sample_rate != options_.sample_rate)
      return Status::InvalidArgument(fmt::format("recognizer chain: frame at {} Hz pushed to a session opened for {} Hz",
                                                 frame.sample_rate, options_.sample_rate));
    if (index_ + 1 < chain_->size()) turn_.push_back(frame);  // only kept if someone could replay it
    if (!session_) return Status::Unavailable("recognizer chain: no member is available");
    Status st = Guard(SafeName((*chain_)[index_]), "Push", [&] { return session_->Push(frame); });
    if (st.ok()) return st;
    INFINI_LOG(kWarn, "recognizer chain: {} failed: {}", SafeName((*chain_)[index_]), st.ToString());
    return OpenFrom(index_ + 1, st);
  }

  Result<Transcript> EndTurn() override {
    while (session_) {
      const std::string name = SafeName((*chain_)[index_]);
      auto final = Guard(name, "EndTurn", [&]() -> Result<Transcript> { return session_->EndTurn(); });
      if (final.ok()) {
        turn_.clear();
        return final;
      }
      INFINI_LOG(kWarn, "recognizer chain: {} failed at end of turn: {}", name, final.status().ToString());
      Status reopened = OpenFrom(index_ + 1, final.status());
      if (!reopened.ok()) {
        turn_.clear();
        return reopened;
      }
    }
    turn_.clear();
    return Status::Unavailable("recognizer chain: no member is available");
  }

  void Reset() override {
    turn_.clear();
    if (!session_) return;
    try {
      session_->Reset();
    } catch (...) {
      INFINI_LOG(kWarn, "recognizer chain: {} threw in Reset", SafeName((*chain_)[index_]));
    }
  }

 private:
  const std::vector<std::unique_ptr<Recognizer>>* chain_;
  RecognizerOptions options_;
  TranscriptCallback on_transcript_;
  std::unique_ptr<RecognizerSession> session_;
  size_t index_ = 0;
  std::vector<AudioFrame> turn_;  // this turn's audio, replayed into a fallback mid-turn
};

class FallbackRecognizer : public Recognizer {
 public:
  explicit FallbackRecognizer(std::vector<std::unique_ptr<Recognizer>> chain) : chain_(std::move(chain)) {}

  Result<std::unique_ptr<RecognizerSession>> Start(const RecognizerOptions& options,
                                                   TranscriptCallback on_transcript) override {
    auto session = std::make_unique<FallbackRecognizerSession>(&chain_, options, std::move(on_transcript));
    Status st = session->OpenFrom(0, Status::OK());
    if (!st.ok()) return st;
    return std::unique_ptr<RecognizerSession>(std::move(session));
  }

  std::string name() const override {
    std::string n;
    for (const auto& m : chain_) n += (n.empty() ? "" : ">") + SafeName(m);
    return n;
  }

 private:
  std::vector<std::unique_ptr<Recognizer>> chain_;
};

// ---------------------------------------------------------------- synthesizer

class FallbackSynthesisSession : public SynthesisSession {
 public:
  FallbackSynthesisSession(const std::vector<std::unique_ptr<Synthesizer>>* chain, SynthesisOptions options,
                           FrameCallback cb)
      : chain_(chain), options_(std::move(options)), on_frame_(std::move(cb)) {}

  Status Open(size_t from, Status why) {
    std::lock_guard lock(mu_);
    session_.reset();
    for (size_t i = from; i < chain_->size(); ++i) {
      const std::string name = SafeName((*chain_)[i]);
      SynthesisOptions opts = options_;
      if (i != 0) opts.voice.clear();  // voices are provider-specific: a fallback uses its default
      auto started = Guard(name, "Start", [&] { return (*chain_)[i]->Start(opts, on_frame_); });
      if (started.ok()) {
        session_ = std::move(started).value();
        index_ = i;
        if (cancelled_) session_->Cancel();
        return Status::OK();
      }
      INFINI_LOG(kWarn, "synthesizer chain: {} unavailable: {}", name, started.status().ToString());
      why = started.status();
    }
    return ChainError(why, chain_->size(), "synthesizer");
  }

  // Sentence by sentence, so a member failing mid-utterance hands over at the sentence it
  // failed on: the caller does not hear the sentences already spoken twice.
  Status Push(std::string_view text) override {
    std::vector<std::string> sentences = SplitSentences(text);
    if (sentences.empty()) return PushOne(text);
    for (const std::string& sentence : sentences) {
      Status st = PushOne(sentence);
      if (!st.ok()) return st;
    }
    return Status::OK();
  }

  Status PushOne(std::string_view text) {
    for (;;) {
      SynthesisSession* s;
      size_t index;
      {
        std::lock_guard lock(mu_);
        if (!session_) return Status::Unavailable("synthesizer chain: no member is available");
        s = session_.get();
        index = index_;
      }
      const std::string name = SafeName((*chain_)[index]);
      Status st = Guard(name, "Push", [&] { return s->Push(text); });
      if (st.ok() || st.code() == Status::Code::kCancelled) return st;
      INFINI_LOG(kWarn, "synthesizer chain: {} failed: {}", name, st.ToString());
      INFINI_RETURN_IF_ERROR(Open(index + 1, st));
    }
  }

  void Cancel() override {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    if (session_) {
      try {
        session_->Cancel();
      } catch (...) {
      }
    }
  }
  void Reset() override {
    std::lock_guard lock(mu_);
    cancelled_ = false;
    if (session_) {
      try {
        session_->Reset();
      } catch (...) {
      }
    }
  }

 private:
  const std::vector<std::unique_ptr<Synthesizer>>* chain_;
  SynthesisOptions options_;
  FrameCallback on_frame_;
  std::mutex mu_;  // guards session_ against Cancel() from another thread
  std::unique_ptr<SynthesisSession> session_;
  size_t index_ = 0;
  bool cancelled_ = false;
};

class FallbackSynthesizer : public Synthesizer {
 public:
  explicit FallbackSynthesizer(std::vector<std::unique_ptr<Synthesizer>> chain) : chain_(std::move(chain)) {}

  Result<std::unique_ptr<SynthesisSession>> Start(const SynthesisOptions& options, FrameCallback on_frame) override {
    auto session = std::make_unique<FallbackSynthesisSession>(&chain_, options, std::move(on_frame));
    Status st = session->Open(0, Status::OK());
    if (!st.ok()) return st;
    return std::unique_ptr<SynthesisSession>(std::move(session));
  }
  std::vector<std::string> voices() const override {
    try {
      return chain_.front()->voices();
    } catch (...) {
      return {};
    }
  }
  std::string name() const override {
    std::string n;
    for (const auto& m : chain_) n += (n.empty() ? "" : ">") + SafeName(m);
    return n;
  }

 private:
  std::vector<std::unique_ptr<Synthesizer>> chain_;
};

// ---------------------------------------------------------------- language model

class RulesMarker : public LanguageModel {
 public:
  Result<Understanding> Understand(const std::string&, const UnderstandingContext&) override {
    return Status::Unimplemented("rules: this turn is understood by the dialogue engine's rule NLU");
  }
  std::string name() const override { return "rules"; }
};

class FallbackLanguageModel : public LanguageModel {
 public:
  explicit FallbackLanguageModel(std::vector<std::unique_ptr<LanguageModel>> chain) : chain_(std::move(chain)) {}

  Result<Understanding> Understand(const std::string& utterance, const UnderstandingContext& context) override {
    Status last = Status::Unavailable("language model chain: no member");
    for (size_t i = 0; i < chain_.size(); ++i) {
      const std::string name = SafeName(chain_[i]);
      if (name == "rules") {
        if (i == 0) return Status::Unimplemented("rules: this turn is understood by the dialogue engine's rule NLU");
        // The reason the models before it failed, so the engine can count and report it.
        INFINI_LOG(kInfo, "language model chain: rule NLU takes this turn ({})", last.message());
        return Status::Unimplemented(last.message());
      }
      auto u = Guard(name, "Understand", [&]() -> Result<Understanding> { return chain_[i]->Understand(utterance, context); });
      if (u.ok()) return u;
      INFINI_LOG(kWarn, "language model chain: {} failed: {}", name, u.status().ToString());
      last = u.status();
    }
    return ChainError(last, chain_.size(), "language model");
  }
  std::string name() const override {
    std::string n;
    for (const auto& m : chain_) n += (n.empty() ? "" : ">") + SafeName(m);
    return n;
  }

 private:
  std::vector<std::unique_ptr<LanguageModel>> chain_;
};

}  // namespace

std::unique_ptr<LanguageModel> MakeFallbackLanguageModel(std::vector<std::unique_ptr<LanguageModel>> chain) {
  return std::make_unique<FallbackLanguageModel>(std::move(chain));
}
Result<std::unique_ptr<LanguageModel>> MakeRulesMarker(const nlohmann::json&) {
  return std::unique_ptr<LanguageModel>(std::make_unique<RulesMarker>());
}

std::unique_ptr<Recognizer> MakeFallbackRecognizer(std::vector<std::unique_ptr<Recognizer>> chain) {
  return std::make_unique<FallbackRecognizer>(std::move(chain));
}
std::unique_ptr<Synthesizer> MakeFallbackSynthesizer(std::vector<std::unique_ptr<Synthesizer>> chain) {
  return std::make_unique<FallbackSynthesizer>(std::move(chain));
}

}  // namespace infini::providers
