// The per-call pipeline: frames flow top to bottom through one function, PushFrame.
#include "infini/call.h"

#include <chrono>
#include <algorithm>
#include <deque>

#include <fmt/format.h>

#include "infini/log.h"

namespace infini {

std::vector<std::string> BusinessPhrases(const BusinessConfig& business) {
  std::vector<std::string> phrases;
  for (const auto& s : business.services) {
    phrases.push_back(s.name);
    for (const auto& syn : s.synonyms) phrases.push_back(syn);
  }
  for (const auto& r : business.resources) phrases.push_back(r);
  // The FAQ's keywords ("walk in walk-ins", "insurance"): callers ask about them in those words.
  for (const auto& f : business.faq) phrases.push_back(f.question);
  for (const char* p : {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                        "today", "tomorrow", "next week", "morning", "afternoon", "evening", "noon",
                        "yes", "no", "that's right", "that's all", "thank you", "bye",
                        "leave a message", "talk to a person", "emergency", "as soon as possible",
                        "the first one", "the second one", "anyone is fine", "no preference",
                        // phone numbers and times are spoken as digit words
                        "one two three four five six seven eight nine zero oh",
                        "five five five", "seven seven eight eight", "double", "a m", "p m",
                        "o'clock", "thirty", "fifteen", "forty five", "street", "avenue", "drive",
                        "lane", "road", "my name is", "my number is"}) {
    phrases.push_back(p);
  }
  return phrases;
}

namespace {

using Clock = std::chrono::steady_clock;

class VoiceCallImpl final : public VoiceCall {
 public:
  VoiceCallImpl(const BusinessConfig& business, Conversation& conversation, Synthesizer& synthesizer,
                const VoiceCallOptions& options, FrameSink on_frame)
      : business_(business), conversation_(conversation), synthesizer_(synthesizer), options_(options),
        on_frame_(std::move(on_frame)), vad_(Vad::CreateEnergy(options.vad)), turns_(options.turn),
        started_(Clock::now()) {}

  Status Init(Recognizer& recognizer) {
    RecognizerOptions ro;
    ro.sample_rate = options_.sample_rate;
    ro.source_rate = options_.source_rate;
    ro.partials = false;
    ro.usage = options_.usage;
    if (options_.bias_recognizer) ro.hints.phrases = BusinessPhrases(business_);
    auto asr = recognizer.Start(ro, nullptr);
    if (!asr.ok()) return asr.status();
    asr_ = std::move(asr.value());
    SynthesisOptions so;
    so.voice = options_.agent_voice;
    so.sample_rate = options_.sample_rate;
    so.usage = options_.usage;
    auto tts = synthesizer_.Start(so, [this](AudioFrame f) { OnAgentFrame(std::move(f)); });
    if (!tts.ok()) return tts.status();
    tts_ = std::move(tts.value());
    return Status::OK();
  }

  Status Start() override { return Act(conversation_.Start(), nullptr); }

  Status PushFrame(const AudioFrame& frame) override {
    if (ended()) return Status::OK();
    if (frame.sample_rate != options_.sample_rate || frame.channels != 1) {
      return Status::InvalidArgument(fmt::format("call: frame at {} Hz x{} but the call runs at {} Hz mono",
                                                 frame.sample_rate, frame.channels, options_.sample_rate));
    }
    // 1. VAD and turn detection.
    VadResult vad = vad_->Process(frame.samples);
    TurnEvent event = turns_.Push(vad, frame.duration_ms(), agent_speaking_);
    // 2. Audio to the recognizer while the caller speaks (with the pre-roll before onset).
    if (event == TurnEvent::kSpeechStart || event == TurnEvent::kBargeIn) {
      if (event == TurnEvent::kBargeIn) {
        ++barge_ins_;
        tts_->Cancel();  // stop the agent: the transport also clears what it queued
        pending_.clear();
        agent_speaking_ = false;
      }
      for (size_t i = 0; i < preroll_size_; ++i)
        INFINI_RETURN_IF_ERROR(PushAsr(preroll_[(preroll_head_ + i) % preroll_.size()]));
      preroll_size_ = 0;
    }
    if (turns_.in_speech() || event == TurnEvent::kSpeechEnd) {
      INFINI_RETURN_IF_ERROR(PushAsr(frame));
    } else {
      KeepPreroll(frame);
    }
    if (event == TurnEvent::kDiscarded) asr_->Reset();
    if (event != TurnEvent::kSpeechEnd) return Status::OK();

    // 3. End of the caller's turn: final transcript -> dialogue -> speech.
    TurnTimings t;
    t.speech_end_ms = Ms();
    auto final = asr_->EndTurn();
    t.asr_final_ms = Ms();
    std::vector<AgentAction> actions;
    if (!final.ok()) {
      INFINI_LOG(kWarn, "call: recognizer failed at end of turn: {}", final.status().ToString());
      actions = conversation_.OnSilence();  // the engine reprompts; the call goes on
    } else {
      t.caller_text = final->text;
      actions = final->text.empty() ? conversation_.OnSilence() : conversation_.OnUtterance(final->text);
    }
    t.decision_ms = Ms();
    Status s = Act(actions, &t);
    turns_log_.push_back(t);
    return s;
  }

  Status PushDtmf(const std::string& keys) override {
    if (ended()) return Status::OK();
    keys_ += keys;
    TurnTimings t;
    t.speech_end_ms = Ms();
    t.asr_final_ms = t.speech_end_ms;
    auto actions = conversation_.OnDtmf(keys);
    if (actions.empty()) return Status::OK();  // the engine waits for more keys
    t.caller_text = "keypad: " + keys_;
    keys_.clear();
    t.decision_ms = Ms();
    Status s = Act(actions, &t);
    turns_log_.push_back(t);
    return s;
  }

  Status TransferFailed() override {
    auto actions = conversation_.OnTransferFailed();
    if (actions.empty()) return Status::InvalidArgument("call: no transfer to report as not answered");
    // The caller was on hold in between: start listening afresh.
    asr_->Reset();
    preroll_size_ = 0;
    keys_.clear();
    return Act(actions, nullptr);
  }

  Status Hangup() override {
    if (!conversation_.ended()) conversation_.OnHangup();
    return Status::OK();
  }

  void SetAgentSpeaking(bool speaking) override { agent_speaking_ = speaking; }
  Status StampFirstFrameOut(size_t index, Clock::time_point written) override {
    if (index >= turns_log_.size())
      return Status::NotFound(fmt::format("call: first frame out for turn {} of {}", index, turns_log_.size()));
    turns_log_[index].first_frame_out_ms = std::chrono::duration<double, std::milli>(written - started_).count();
    return Status::OK();
  }
  bool speech_pending() const override { return !pending_.empty(); }
  Status SpeakNext() override {
    if (pending_.empty()) return Status::OK();
    std::string sentence = std::move(pending_.front());
    pending_.pop_front();
    return Speak(sentence);
  }
  int answers_started() const override { return answers_started_; }
  bool ended() const override { return conversation_.ended(); }
  const std::vector<TurnTimings>& turns() const override { return turns_log_; }
  int barge_ins() const override { return barge_ins_; }

 private:
  double Ms() const { return std::chrono::duration<double, std::milli>(Clock::now() - started_).count(); }

  // The last preroll_ms of audio before speech starts, in a ring of frames whose buffers are
  // reused (this runs on every silent 20 ms frame of every call).
  void KeepPreroll(const AudioFrame& frame) {
    const size_t capacity = static_cast<size_t>(std::max(0, options_.preroll_ms / kFrameMs));
    if (capacity == 0) return;
    if (preroll_.size() != capacity) {
      preroll_.assign(capacity, AudioFrame{});
      preroll_head_ = preroll_size_ = 0;
    }
    AudioFrame& slot = preroll_[(preroll_head_ + preroll_size_) % capacity];
    slot.sample_rate = frame.sample_rate;
    slot.channels = frame.channels;
    slot.samples.assign(frame.samples.begin(), frame.samples.end());
    if (preroll_size_ < capacity) {
      ++preroll_size_;
    } else {
      preroll_head_ = (preroll_head_ + 1) % capacity;
    }
  }

  Status PushAsr(const AudioFrame& f) {
    Status s = asr_->Push(f);
    if (!s.ok()) INFINI_LOG(kWarn, "call: recognizer rejected a frame: {}", s.ToString());
    return Status::OK();  // a recognizer fault must not drop the call
  }

  // Speaks every kSay action, sentence-chunked by the synthesizer -- or, speak_on_demand,
  // its first sentence, the rest left for SpeakNext(). An answer given while an earlier one
  // is still pending goes after it, in the order it would have been heard.
  Status Act(const std::vector<AgentAction>& actions, TurnTimings* timing) {
    tts_->Reset();
    // The rest of an earlier answer first (its own frames, not this turn's), as it would have
    // been queued whole without speak_on_demand.
    while (!pending_.empty()) (void)SpeakNext();
    current_ = timing;
    first_frame_seen_ = false;
    bool first = true;
    for (const auto& a : actions) {
      if (a.kind != AgentAction::Kind::kSay || a.text.empty()) continue;
      if (timing) {
        if (!timing->agent_text.empty()) timing->agent_text += ' ';
        timing->agent_text += a.text;
      }
      agent_speaking_ = true;
      if (first) ++answers_started_;
      first = false;
      if (options_.speak_on_demand) {
        for (auto& sentence : SplitSentences(a.text)) pending_.push_back(std::move(sentence));
        continue;
      }
      if (Speak(a.text).code() == Status::Code::kCancelled) break;
    }
    if (options_.speak_on_demand) (void)SpeakNext();
    current_ = nullptr;
    return Status::OK();
  }

  // Cancelled only by a barge-in, which has dropped the pending sentences already.
  Status Speak(std::string_view text) {
    Status s = tts_->Push(text);
    if (!s.ok() && s.code() != Status::Code::kCancelled) INFINI_LOG(kError, "call: synthesizer failed: {}", s.ToString());
    return s;
  }

  void OnAgentFrame(AudioFrame f) {
    if (current_ && !first_frame_seen_) {
      current_->tts_first_audio_ms = Ms();
    }
    on_frame_(std::move(f));
    if (current_ && !first_frame_seen_) {
      current_->first_frame_out_ms = Ms();
      first_frame_seen_ = true;
    }
  }

  const BusinessConfig& business_;
  Conversation& conversation_;
  Synthesizer& synthesizer_;
  VoiceCallOptions options_;
  FrameSink on_frame_;
  std::unique_ptr<Vad> vad_;
  TurnDetector turns_;
  std::unique_ptr<RecognizerSession> asr_;
  std::unique_ptr<SynthesisSession> tts_;
  std::deque<std::string> pending_;  // speak_on_demand: sentences not synthesized yet
  std::vector<AudioFrame> preroll_;  // ring: preroll_size_ frames from preroll_head_
  size_t preroll_head_ = 0, preroll_size_ = 0;
  bool agent_speaking_ = false;
  int barge_ins_ = 0;
  int answers_started_ = 0;
  TurnTimings* current_ = nullptr;
  bool first_frame_seen_ = false;
  std::vector<TurnTimings> turns_log_;
  std::string keys_;  // keypad keys since the last keypad turn
  Clock::time_point started_;
};

}  // namespace

Result<std::unique_ptr<VoiceCall>> VoiceCall::Create(const BusinessConfig& business, Conversation& conversation,
                                                     Recognizer& recognizer, Synthesizer& synthesizer,
                                                     const VoiceCallOptions& options, FrameSink on_frame) {
  if (options.sample_rate != 8000 && options.sample_rate != 16000) {
    return Status::InvalidArgument(fmt::format("call: sample rate {} Hz (supported: 8000, 16000)", options.sample_rate));
  }
  if (!on_frame) return Status::InvalidArgument("call: no frame sink");
  auto call = std::make_unique<VoiceCallImpl>(business, conversation, synthesizer, options, std::move(on_frame));
  INFINI_RETURN_IF_ERROR(call->Init(recognizer));
  return std::unique_ptr<VoiceCall>(std::move(call));
}

}  // namespace infini
