// Telephony transport: one call's audio in and out, plus control events.
//
//   transport->SetHandler([&](const infini::TransportEvent& e) { if (e.kind == kAudio) asr(e.audio); });
//   transport->SendAudio(frame);            // queued for playback
//   transport->Send({.kind = infini::TransportEvent::Kind::kClear});  // barge-in: drop queued audio
//
// Implementations: Twilio Media Streams (8 kHz μ-law), the native WebSocket (PCM16 16 kHz).
// Threading: the handler runs on the transport's event loop; Send*/Close are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "infini/audio_frame.h"
#include "infini/status.h"

namespace infini {

struct TransportEvent {
  enum class Kind {
    kStart,     // call connected; call_id and from/to are set
    kAudio,     // caller audio (inbound) — `audio` is set
    kMark,      // inbound: playback reached `name`; outbound: ask to be told when it does
    kClear,     // outbound: drop audio queued for playback (barge-in)
    kDtmf,      // inbound keypad digit in `digit`
    kHangup,    // either side ended the call
    kTransfer,  // outbound: transfer the caller to `target` (E.164 or SIP URI)
  };
  Kind kind = Kind::kAudio;
  AudioFrame audio;
  std::string name;    // mark name
  char digit = 0;      // '0'-'9', '*', '#'
  std::string target;  // transfer destination
  std::string call_id;
  std::string from;
  std::string to;
};

using TransportHandler = std::function<void(const TransportEvent&)>;

class Transport {
 public:
  virtual ~Transport() = default;
  virtual void SetHandler(TransportHandler handler) = 0;
  // Outbound audio at `audio_sample_rate()`; the transport encodes it for the wire.
  virtual Status SendAudio(const AudioFrame& frame) = 0;
  // Outbound control: kMark, kClear, kTransfer, kHangup.
  virtual Status Send(const TransportEvent& event) = 0;
  virtual int audio_sample_rate() const = 0;  // 8000 for Twilio, 16000 for the native socket
  virtual std::string name() const = 0;
};

}  // namespace infini
