// Server: the host's HTTP + WebSocket front door — Twilio webhooks and Media Streams, the
// native wideband /voice socket, and mounted handlers (REST API, dashboard).
//
//   infini::ServerOptions o;  o.port = 8080;  o.public_url = "https://rx.example.com";
//   o.twilio_auth_token = getenv("TWILIO_AUTH_TOKEN");  o.business_files = {"hvac.json"};
//   auto server = infini::Server::Create(o);        // loads businesses, providers, store
//   (*server)->Mount("/api/v1", api_handler);        // before Start
//   (*server)->Start();  ...  (*server)->Stop();
//
// Routes: POST /twilio/voice (signed webhook → <Connect><Stream> TwiML), POST /twilio/status
// (status callbacks onto the call row), POST /twilio/dial-status (signed <Dial action> of a
// transfer: not answered → the call resumes on a new stream, docs/twilio-setup.md),
// WS /twilio/stream (Media Streams), WS /voice (native, docs/native-transport.md), mounted
// prefixes, anything else 404 JSON.
// After each call the business's owner summary and missed-call text-back go out
// (notifications in the business config, docs/notifications.md): SMS to the store's outbox,
// e-mail through the configured messenger, on a background thread; Stop() waits for them.
// Threading: libwebsockets runs on ONE event-loop thread that owns every socket. Each call's
// pipeline (ASR, dialogue, TTS, store writes) and every mounted handler run on a pool of
// worker threads; frames and events cross by queues with lws_cancel_service wake-ups.
// Create/Mount/Start/Stop from one controlling thread; port() and stats() from any.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "infini/business.h"
#include "infini/call.h"
#include "infini/http.h"
#include "infini/status.h"

namespace infini {

class CallControl;
class Recognizer;
class Store;
class Synthesizer;

struct ServerOptions {
  std::string host = "127.0.0.1";  // interface to listen on ("0.0.0.0" for all)
  int port = 8080;                 // 0 = an ephemeral port (read it back with port())
  // The URL Twilio reaches this server at (e.g. "https://abc.ngrok.app"); webhook signatures
  // are checked against public_url + path, and the TwiML stream URL is wss://<its host>/twilio/stream.
  // Empty: http://<host>:<port> (tests, a LAN).
  std::string public_url;
  // Twilio auth token (env TWILIO_AUTH_TOKEN). Empty: POST /twilio/voice is refused (403)
  // unless allow_unsigned_webhooks.
  std::string twilio_auth_token;
  bool allow_unsigned_webhooks = false;  // development only; logged loudly

  // Businesses: config files (infini/business.h) and/or parsed configs. A Twilio call picks
  // the business whose "phone" equals the number called ("To"); a native call names it by
  // id; otherwise the first one answers.
  std::vector<std::string> business_files;
  std::vector<BusinessConfig> businesses;

  std::string store_path = ":memory:";  // SQLite file (infini/store.h)
  // Provider specs for ProviderRegistry::Builtin() (a name, an object, or a fallback chain).
  nlohmann::json recognizer = "pocketsphinx";
  nlohmann::json synthesizer = "flite";
  // Asked first each caller turn (e.g. ["openai", "rules"]); null = the rule NLU only.
  nlohmann::json language_model = nullptr;
  // SMS to callers (confirmations) through infini::MakeMessenger: "outbox" (the store's SMS
  // outbox), "twilio", or a chain such as ["twilio", "outbox"] (docs/providers.md).
  nlohmann::json messenger = "outbox";
  // Price overrides on top of PriceTable::Defaults() ({"twilio/call_seconds": 0.00014, ...});
  // every call's usage is priced with them and stored as usage events (infini/cost.h).
  nlohmann::json prices = nullptr;
  // Or providers built by the embedder (then the specs above are ignored). Must outlive the server.
  Recognizer* recognizer_instance = nullptr;
  Synthesizer* synthesizer_instance = nullptr;
  Store* store_instance = nullptr;
  std::shared_ptr<CallControl> call_control;  // null: record + end the stream (call_control.h)

  int worker_threads = 4;           // pipeline + handler pool (0 = hardware threads)
  // Sample rate the pipeline runs at for Twilio's 8 kHz μ-law. 8000 (default): the VAD and turn
  // detector run on the line's own samples and the recognizer gets them as they are (pocketsphinx
  // upsamples the caller's speech for its wideband model itself; a network recognizer takes μ-law
  // rates). 16000: every frame is upsampled first, which costs ~25 % more host CPU per stream
  // and hears the same (docs/performance.md).
  int twilio_pipeline_rate = 8000;
  // Inbound Twilio media read in batches: the kernel wakes the host for a stream only once about
  // this many 20 ms media messages wait in its socket (SO_RCVLOWAT), so one read takes them all.
  // kReadBatchAuto (default): 1 -- every message as it arrives -- while fewer than
  // twilio_auto_batch_streams Twilio streams are open, 3 from there on, 1 again below 80 % of it.
  // A lightly loaded host adds no delay; a host with thousands of streams spends ~30 % less CPU
  // per stream for up to 40 ms more inbound delay (docs/performance.md, "Concurrency").
  // 1..10: always that many. Messages smaller than a batch (a lone "stop") wait for more bytes
  // or for the peer to close, as Twilio does after "stop".
  static constexpr int kReadBatchAuto = 0;
  int twilio_read_batch = kReadBatchAuto;
  int twilio_auto_batch_streams = 1000;
  // Outbound Twilio audio: this many 20 ms frames per media message (Twilio buffers and plays
  // media messages of any length in order). kSendBatchAuto (default): 1 below
  // twilio_auto_batch_streams open Twilio streams, 10 (200 ms) from there, 1 again below 80 % of
  // it -- the same line as twilio_read_batch. A message leaves when its first frame is due (up to
  // 40 ms early), so Twilio holds at most one message plus 40 ms ahead of real time; a reply's
  // first audio is not delayed. A tenth of the sends, the host's largest outbound cost
  // (docs/performance.md, "Outbound runs of 10"). 1..10: always that many.
  static constexpr int kSendBatchAuto = 0;
  int twilio_send_batch = kSendBatchAuto;
  // Outbound audio is paced at real time (20 ms frames, up to 40 ms ahead). Tests turn it
  // off to run calls faster than real time; the native socket can also ask for "pacing":"none".
  bool pace_output = true;
  int64_t now_utc = 0;              // the dialogue's clock (0 = real time); scenario tests fix it
  VoiceCallOptions call;            // VAD/turn tuning, agent voice (overridden by the business voice)
  // The agent's answers are synthesized a sentence at a time, as playback needs them: while
  // less than this much of its audio waits for the caller's socket, the next sentence is
  // synthesized (VoiceCallOptions::speak_on_demand). A call then holds about this much plus
  // one sentence of outbound audio however long the answer, and a barge-in skips the
  // sentences never synthesized. 0: every answer is synthesized whole at once.
  int speak_ahead_ms = 2000;
  size_t max_body_bytes = 1 << 20;  // larger HTTP bodies get 413
  size_t max_ws_message_bytes = 1 << 16;  // larger WebSocket messages close the socket (1009)
  int start_timeout_ms = 10000;     // a stream that sends no "start" in time is closed
  int idle_timeout_ms = 60000;      // a call with no inbound frame for this long is ended
  int max_call_seconds = 3600;
  // A Twilio transfer (with a CallControl) rings the target this long; then Twilio posts
  // DialCallStatus=no-answer to /twilio/dial-status and the call resumes.
  // (A native /voice client that carries out transfers is asked to ring this long too.)
  int transfer_ring_seconds = 20;
  // A call waiting on its transfer's result (Twilio's dial-status, a native transfer_result,
  // the new stream after "no-answer") gets transfer_ring_seconds + this long; then it is closed
  // with what was collected (an action transfer_result {"dial_status":"timeout"}, a log line).
  // Note: Twilio reports an *answered* transfer only when that conversation ends, so such a
  // call's row is closed (as transferred) at this deadline and the late result is only logged.
  int transfer_grace_seconds = 30;
  // A client that stops reading: once this much outbound data is waiting on its socket the
  // call is ended (its row closed with what was collected).
  size_t max_outbound_queue_bytes = 4 << 20;
  std::function<void(const std::string& line)> on_call_log;  // human call start/end lines (default: INFINI_LOG info)
};

struct ServerStats {
  int64_t http_requests = 0;
  int64_t active_calls = 0;
  int64_t calls_started = 0;
  int64_t calls_ended = 0;
  int64_t bad_messages = 0;     // malformed/unknown frames (each logged)
  int64_t frames_in = 0;         // inbound audio frames the network thread took off sockets
  int64_t frames_handled = 0;    // ... that went through a call's pipeline (in - handled = backlog)
  int64_t frames_dropped = 0;    // ... discarded because that call's pipeline was too far behind
                                 // (each logged; the call gets an "audio_dropped" action)
  int64_t frames_out = 0;
  int64_t twilio_streams = 0;    // Twilio media stream sockets open
  int twilio_read_batch = 1;     // media messages per read on them now (see twilio_read_batch)
  int twilio_send_batch = 1;     // 20 ms frames per outbound media message now (see twilio_send_batch)
};

// `infini serve`'s config file: one JSON object; every key optional (defaults above).
//   {"host": "0.0.0.0", "port": 8080, "public_url": "https://rx.example.com",
//    "businesses": ["businesses/hvac.json"], "store": "infini.db",
//    "recognizer": "pocketsphinx", "synthesizer": "flite", "language_model": null,
//    "messenger": "outbox", "prices": {"twilio/call_seconds": 0.00014},
//    "workers": 4, "twilio_pipeline_rate": 8000, "twilio_read_batch": "auto", "twilio_send_batch": "auto",
//    "agent_voice": "slt", "end_silence_ms": 600, "speak_ahead_ms": 2000,
//    "max_body_bytes": 1048576, "start_timeout_ms": 10000, "idle_timeout_ms": 60000,
//    "max_call_seconds": 3600, "allow_unsigned_webhooks": false}
// Relative paths are relative to the config file. Secrets come from the environment, never
// the file: TWILIO_AUTH_TOKEN; INFINI_PUBLIC_URL and INFINI_PORT override the file.
// `getenv` is injectable for tests (nullptr = ::getenv). InvalidArgument names the key.
Result<ServerOptions> ParseServerConfig(const nlohmann::json& config, const std::string& base_dir,
                                        std::function<const char*(const char*)> getenv = nullptr);
Result<ServerOptions> LoadServerConfig(const std::string& path,
                                       std::function<const char*(const char*)> getenv = nullptr);
// The keys and environment variables above, for --help.
std::string ServerConfigHelp();

class Server {
 public:
  // Loads business configs and providers and opens the store; nothing listens yet.
  // InvalidArgument/NotFound naming the bad option or file.
  static Result<std::unique_ptr<Server>> Create(const ServerOptions& options);
  virtual ~Server() = default;  // Stop()s

  // Route every request whose path starts with `prefix` ("/api/v1", "/") to `handler`,
  // longest prefix first. Before Start(). The handler runs on a worker thread.
  virtual void Mount(const std::string& prefix, HttpHandler handler) = 0;
  // Binds and starts the event loop thread. IOError when the port cannot be bound.
  virtual Status Start() = 0;
  // Ends every live call (rows closed with what was collected), closes sockets, joins threads.
  virtual void Stop() = 0;
  virtual int port() const = 0;  // the bound port (after Start)
  virtual ServerStats stats() const = 0;
  virtual Store& store() = 0;

  // The config new calls of business `id` get right now ("" = the first business); null for
  // an unknown id. Any thread.
  virtual std::shared_ptr<const BusinessConfig> business(const std::string& id = "") const = 0;
  // Swaps in a new config for the business with its id (e.g. a script the REST API validated
  // and saved as `version`): calls that start from now on use it, calls in progress keep the
  // one they started with. NotFound when the server has no business with that id. Any thread.
  virtual Status UpdateBusiness(BusinessConfig config, int version = 0) = 0;
};

}  // namespace infini
