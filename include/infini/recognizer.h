// Speech recognizer: a streaming session per call turn — frames in, transcripts out.
//
//   auto session = recognizer->Start({.sample_rate = 8000, .hints = {.phrases = {"haircut"}}},
//                                    [](const infini::Transcript& t) { show(t.text, t.is_final); });
//   for (auto& f : frames) (*session)->Push(f);   // partials arrive through the callback
//   auto final = (*session)->EndTurn();           // the final transcript; ready for the next turn
//
// Threading: a Recognizer is shared and thread-safe (Start from any thread). A session is
// used by one thread at a time; its callback runs on the thread calling Push/EndTurn.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "infini/audio_frame.h"
#include "infini/status.h"

namespace infini {

class UsageMeter;

struct RecognizedWord {
  std::string word;
  int64_t start_ms = 0;  // relative to the start of the turn
  int64_t end_ms = 0;
};

struct Transcript {
  std::string text;         // lower-case words separated by single spaces; may be empty
  bool is_final = false;    // partial hypotheses may still change; a final does not
  double confidence = 0.0;  // 0..1, provider-specific calibration
  int64_t start_ms = 0;     // turn-relative span of the speech the text covers
  int64_t end_ms = 0;
  std::vector<RecognizedWord> words;  // empty when the provider gives no word timing
  std::string source;       // which provider/search produced it, e.g. "pocketsphinx/grammar"
};

// Per-call biasing, built from the business config: phrases the caller is likely to say
// (services and synonyms, staff names, days, times, yes/no), or a full JSGF grammar.
// Providers that cannot bias ignore hints; recognition must still yield generic words.
struct RecognizerHints {
  std::vector<std::string> phrases;
  std::string jsgf;  // optional JSGF grammar text ("#JSGF V1.0; grammar g; public <s> = ...;")
  bool empty() const { return phrases.empty() && jsgf.empty(); }
};

struct RecognizerOptions {
  int sample_rate = 16000;  // of the frames passed to Push; 8000 (telephone) and 16000 (wideband)
  // The audio's real band when it was resampled before Push: 8000 for telephone audio handed
  // over at 16 kHz (a Twilio call on a wideband pipeline). 0: as sample_rate. A recognizer that
  // adapts to the channel keeps telephone and wideband calls apart by it (pocketsphinx: its own
  // decoder pool and channel estimate).
  int source_rate = 0;
  std::string language = "en-US";
  bool partials = true;     // deliver partial hypotheses while the caller speaks
  RecognizerHints hints;
  // The call's meter (infini/cost.h), or null: the audio given, as "<provider>/asr_seconds" (pocketsphinx at $0),
  // added per turn and (the tail) on destruction: destroy the session before reading final totals. Outlives it.
  UsageMeter* usage = nullptr;
};

using TranscriptCallback = std::function<void(const Transcript&)>;

class RecognizerSession {
 public:
  virtual ~RecognizerSession() = default;
  // Feeds one frame (any length; mono PCM16 at options.sample_rate). A frame at another
  // rate gives InvalidArgument. Partial transcripts may be delivered before it returns.
  virtual Status Push(const AudioFrame& frame) = 0;
  // End of the caller's turn: returns the final transcript (also delivered to the
  // callback) and leaves the session ready for the next turn.
  virtual Result<Transcript> EndTurn() = 0;
  // Drops the audio of the current turn without a result (e.g. the turn was abandoned).
  virtual void Reset() = 0;
};

class Recognizer {
 public:
  virtual ~Recognizer() = default;
  virtual Result<std::unique_ptr<RecognizerSession>> Start(const RecognizerOptions& options,
                                                           TranscriptCallback on_transcript) = 0;
  virtual std::string name() const = 0;
};

}  // namespace infini
