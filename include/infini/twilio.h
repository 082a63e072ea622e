// Twilio's wire formats: webhook signatures, TwiML, and Media Streams messages.
//
//   std::string sig = infini::TwilioSignature("https://host/twilio/voice", form, token);
//   bool ok = infini::ValidateTwilioSignature(url, form, token, req.header("x-twilio-signature"));
//   std::string twiml = infini::ConnectStreamTwiml("wss://host/twilio/stream", {{"caller", from}});
//   auto msg = infini::ParseMediaStreamMessage(text);   // connected/start/media/dtmf/mark/stop/clear
//
// Pure functions over values, no I/O; thread-safe. Both directions of every message are
// here, so the server and a simulated Twilio (`infini call`) share one definition.
// Formats follow Twilio's documentation: "Webhooks security" (signature), TwiML <Connect>
// <Stream>, and "Media Streams - WebSocket Messages".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "infini/status.h"

namespace infini {

// ---- Webhook signatures (X-Twilio-Signature) ----

// base64(HMAC-SHA1(auth_token, url + for each param sorted by name: name + value)).
// `url` is the full URL Twilio requested, scheme to query string, exactly as configured
// on the number (e.g. "https://example.com/twilio/voice"). For a GET webhook pass no params.
std::string TwilioSignature(std::string_view url, const std::map<std::string, std::string>& params,
                            std::string_view auth_token);

// True when `signature` matches (constant-time compare). Like Twilio's own validators it
// also accepts the URL with the default port added or removed (https :443, http :80),
// since proxies differ in whether they keep it. An empty token or signature never matches.
bool ValidateTwilioSignature(std::string_view url, const std::map<std::string, std::string>& params,
                             std::string_view auth_token, std::string_view signature);

// ---- TwiML ----

std::string XmlEscape(std::string_view text);  // & < > " '

// Documents start with <?xml version="1.0" encoding="UTF-8"?> (a webhook's answer) unless
// xml_declaration is false (the Twiml parameter of the REST "update call" takes the bare
// <Response>).
// <Response><Connect><Stream url="..."><Parameter name=".." value=".."/>...</Stream></Connect></Response>
// Parameters arrive in the stream's "start" message as customParameters, in this order.
std::string ConnectStreamTwiml(std::string_view stream_url,
                               const std::vector<std::pair<std::string, std::string>>& parameters,
                               std::string_view status_callback_url = "");
struct DialTwimlOptions {
  std::string action_url;    // non-empty: action="..." method="POST" (Twilio posts DialCallStatus there)
  int timeout_seconds = 0;   // > 0: timeout="..." (seconds to ring)
  bool xml_declaration = true;
};
// <Response>[<Say>say</Say>]<Dial [action method timeout]>target</Dial></Response>; a target
// starting "sip:" is a <Sip>.
std::string DialTwiml(std::string_view target, std::string_view say = "", const DialTwimlOptions& options = {});
// <Response>[<Say>say</Say>]<Hangup/></Response>
std::string HangupTwiml(std::string_view say = "", bool xml_declaration = true);

// ---- Media Streams messages (JSON text frames on the stream's WebSocket) ----

struct MediaStreamMessage {
  enum class Event {
    kConnected,  // Twilio → us, first message
    kStart,      // Twilio → us: stream metadata
    kMedia,      // both ways: base64 μ-law 8 kHz audio
    kDtmf,       // Twilio → us: a keypad digit
    kMark,       // both ways: we ask to be told; Twilio tells us playback reached it
    kStop,       // Twilio → us: the stream (call) ended
    kClear,      // us → Twilio: drop queued outbound audio
  };
  Event event = Event::kMedia;
  std::string stream_sid;
  int64_t sequence_number = 0;  // 0 = absent (outbound messages carry none)

  // kConnected
  std::string protocol = "Call";
  std::string version = "1.0.0";
  // kStart (and kStop's account/call)
  std::string account_sid;
  std::string call_sid;
  std::vector<std::string> tracks;  // e.g. {"inbound"}
  std::map<std::string, std::string> custom_parameters;
  std::string encoding = "audio/x-mulaw";
  int sample_rate = 8000;
  int channels = 1;
  // kMedia
  std::string track;        // "inbound" / "outbound"; empty on what we send
  int64_t chunk = 0;        // 1, 2, 3... (inbound)
  int64_t timestamp_ms = 0; // since the stream started (inbound)
  std::string payload;      // base64 μ-law
  // kDtmf
  char digit = 0;
  // kMark
  std::string mark_name;
};

const char* MediaStreamEventName(MediaStreamMessage::Event event);  // "media", "start"...

// Parses one text frame. Corruption for malformed JSON or a missing/ill-typed field the
// event needs (naming it); NotFound naming the event for an unknown "event" value.
// Twilio sends numbers as strings ("sequenceNumber":"3"); both forms are accepted.
Result<MediaStreamMessage> ParseMediaStreamMessage(std::string_view text);

// The JSON Twilio sends / expects for `message` (only the fields its event uses;
// sequenceNumber/track/chunk/timestamp only when set). Compact, no newline.
std::string FormatMediaStreamMessage(const MediaStreamMessage& message);

// Hot path, inbound: the base64 payload of a flat "media" message without building a
// DOM, or nullopt when `text` is not such a message (then use ParseMediaStreamMessage).
std::optional<std::string_view> FindMediaPayload(std::string_view text);

// Hot path, outbound: {"event":"media","streamSid":"..","media":{"payload":"<base64 μ-law>"}}
// written into `out` (replaced, capacity reused).
void FormatOutboundMedia(std::string_view stream_sid, std::span<const uint8_t> ulaw, std::string& out);

}  // namespace infini
