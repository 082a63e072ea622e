// Turn detection: from per-frame VAD decisions to "the caller started / finished speaking".
//
//   infini::TurnDetector turns({.end_silence_ms = 600});
//   switch (turns.Push(vad_result, 20, agent_is_speaking)) {
//     case infini::TurnEvent::kSpeechEnd: finalize_asr(); break;  ...
//   }
//
// Times are stream milliseconds (sum of pushed frame durations). Not thread-safe.
#pragma once

#include <cstdint>

#include "infini/vad.h"

namespace infini {

struct TurnOptions {
  int start_speech_ms = 60;    // speech this long (in a row) starts a turn
  int end_silence_ms = 600;    // silence this long ends it (the endpointing delay)
  int min_speech_ms = 200;     // shorter bursts (a cough, a click) are dropped
  int barge_in_ms = 160;       // while the agent speaks, caller speech this long interrupts
  double barge_in_min_snr_db = 18.0;  // ...and this far above the noise floor (VAD alone: 12)
};

enum class TurnEvent {
  kNone,
  kSpeechStart,  // the caller began a turn (onset at speech_start_ms())
  kSpeechEnd,    // the turn ended (last speech at speech_end_ms()); detected end_silence_ms later
  kBargeIn,      // the caller spoke over the agent: stop playback; a turn has started
  kDiscarded,    // what started was shorter than min_speech_ms: forget it
};

const char* TurnEventName(TurnEvent event);

class TurnDetector {
 public:
  explicit TurnDetector(const TurnOptions& options = {}) : options_(options) {}

  // One frame's VAD result. `agent_speaking` is true while our own audio is playing.
  TurnEvent Push(const VadResult& vad, int frame_ms, bool agent_speaking);
  void Reset();

  bool in_speech() const { return in_speech_; }
  int64_t now_ms() const { return now_ms_; }
  int64_t speech_start_ms() const { return start_ms_; }  // onset of the current/last turn
  int64_t speech_end_ms() const { return end_ms_; }      // end of speech of the last turn
  const TurnOptions& options() const { return options_; }

 private:
  TurnOptions options_;
  int64_t now_ms_ = 0;
  bool in_speech_ = false;
  int run_speech_ms_ = 0;     // consecutive speech before a turn starts
  int64_t run_start_ms_ = 0;
  int silence_ms_ = 0;        // consecutive silence inside a turn
  int64_t start_ms_ = 0, end_ms_ = 0, last_speech_end_ms_ = 0;
};

}  // namespace infini
