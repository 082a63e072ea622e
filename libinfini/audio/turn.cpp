#include "infini/turn.h"

namespace infini {

const char* TurnEventName(TurnEvent event) {
  switch (event) {
    case TurnEvent::kNone: return "none";
    case TurnEvent::kSpeechStart: return "speech_start";
    case TurnEvent::kSpeechEnd: return "speech_end";
    case TurnEvent::kBargeIn: return "barge_in";
    case TurnEvent::kDiscarded: return "discarded";
  }
  return "?";
}

void TurnDetector::Reset() {
  const TurnOptions keep = options_;
  *this = TurnDetector(keep);
}

TurnEvent TurnDetector::Push(const VadResult& vad, int frame_ms, bool agent_speaking) {
  const int64_t frame_start = now_ms_;
  now_ms_ += frame_ms;
  // Over our own playback only clearly louder speech counts (echo and line noise do not).
  bool speech = vad.speech;
  if (agent_speaking && speech) {
    speech = vad.energy_dbfs > vad.noise_floor_dbfs + options_.barge_in_min_snr_db;
  }

  if (!in_speech_) {
    if (!speech) {
      run_speech_ms_ = 0;
      return TurnEvent::kNone;
    }
    if (run_speech_ms_ == 0) run_start_ms_ = frame_start;
    run_speech_ms_ += frame_ms;
    const int needed = agent_speaking ? options_.barge_in_ms : options_.start_speech_ms;
    if (run_speech_ms_ < needed) return TurnEvent::kNone;
    in_speech_ = true;
    start_ms_ = run_start_ms_;
    last_speech_end_ms_ = now_ms_;
    silence_ms_ = 0;
    run_speech_ms_ = 0;
    return agent_speaking ? TurnEvent::kBargeIn : TurnEvent::kSpeechStart;
  }

  if (speech) {
    silence_ms_ = 0;
    last_speech_end_ms_ = now_ms_;
    return TurnEvent::kNone;
  }
  silence_ms_ += frame_ms;
  if (silence_ms_ < options_.end_silence_ms) return TurnEvent::kNone;
  in_speech_ = false;
  silence_ms_ = 0;
  if (last_speech_end_ms_ - start_ms_ < options_.min_speech_ms) return TurnEvent::kDiscarded;
  end_ms_ = last_speech_end_ms_;
  return TurnEvent::kSpeechEnd;
}

}  // namespace infini
