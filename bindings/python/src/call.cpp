// The voice pipeline of one call (VoiceCall) and spoken scenarios, with any providers —
// including recognizers and synthesizers written in Python.
#include "infini/call.h"
#include "infini/voice_simulation.h"
#include "py_common.h"
#include "py_conversation.h"
#include "trampolines.h"

namespace infini::python {
namespace {

// A VoiceCall plus the references its C++ side needs alive (kept by py::keep_alive).
class PyVoiceCall {
 public:
  explicit PyVoiceCall(std::unique_ptr<VoiceCall> call) : call_(std::move(call)) {}
  VoiceCall& get() { return *call_; }

 private:
  std::unique_ptr<VoiceCall> call_;
};

}  // namespace

void BindCall(py::module_& m) {
  py::class_<VoiceCallOptions>(m, "VoiceCallOptions")
      .def(py::init([](int sample_rate, std::string agent_voice, VadOptions vad, TurnOptions turn, int preroll_ms,
                       bool bias_recognizer, int source_rate) {
             return VoiceCallOptions{.sample_rate = sample_rate, .source_rate = source_rate,
                                     .agent_voice = std::move(agent_voice), .vad = vad, .turn = turn,
                                     .preroll_ms = preroll_ms, .bias_recognizer = bias_recognizer};
           }), py::arg("sample_rate") = VoiceCallOptions{}.sample_rate,
           py::arg("agent_voice") = VoiceCallOptions{}.agent_voice, py::arg("vad") = VadOptions{},
           py::arg("turn") = TurnOptions{}, py::arg("preroll_ms") = VoiceCallOptions{}.preroll_ms,
           py::arg("bias_recognizer") = VoiceCallOptions{}.bias_recognizer, py::arg("source_rate") = 0)
      .def_readwrite("sample_rate", &VoiceCallOptions::sample_rate)
      .def_readwrite("source_rate", &VoiceCallOptions::source_rate,
                     "the caller's audio band if lower than sample_rate (8000: a phone line upsampled); 0: sample_rate")
      .def_readwrite("agent_voice", &VoiceCallOptions::agent_voice)
      .def_readwrite("vad", &VoiceCallOptions::vad)
      .def_readwrite("turn", &VoiceCallOptions::turn)
      .def_readwrite("preroll_ms", &VoiceCallOptions::preroll_ms)
      .def_readwrite("bias_recognizer", &VoiceCallOptions::bias_recognizer)
      .def_readwrite("speak_on_demand", &VoiceCallOptions::speak_on_demand,
                     "True: an answer's first sentence is synthesized at once, the rest by speak_next() "
                     "as playback needs it (what the server does); False (default): whole answers at once");
  py::class_<TurnTimings>(m, "TurnTimings", "Instants of one caller turn, in ms since the call started.")
      .def_readonly("caller_text", &TurnTimings::caller_text)
      .def_readonly("agent_text", &TurnTimings::agent_text)
      .def_readonly("speech_end_ms", &TurnTimings::speech_end_ms)
      .def_readonly("asr_final_ms", &TurnTimings::asr_final_ms)
      .def_readonly("decision_ms", &TurnTimings::decision_ms)
      .def_readonly("tts_first_audio_ms", &TurnTimings::tts_first_audio_ms)
      .def_readonly("first_frame_out_ms", &TurnTimings::first_frame_out_ms)
      .def_property_readonly("latency_ms", &TurnTimings::latency_ms)
      .def("__repr__", [](const TurnTimings& t) {
        return fmt::format("TurnTimings('{}' -> '{}', latency {:.0f} ms)", t.caller_text, t.agent_text, t.latency_ms());
      });
  m.def("business_phrases", &BusinessPhrases, py::arg("business"),
        "The recognizer phrases a business makes likely (services, staff, days, yes/no...).");

  py::class_<PyVoiceCall>(m, "VoiceCall",
                          "One call's audio pipeline: inbound frames -> VAD -> turns -> recognizer -> "
                          "conversation -> synthesizer -> on_frame. One thread drives it.")
      .def(py::init([](const BusinessConfig& business, PyConversation& conversation, Recognizer& recognizer,
                       Synthesizer& synthesizer, const VoiceCallOptions& options, py::object on_frame) {
             FrameCallback sink = PythonCallback<AudioFrame>(std::move(on_frame), "VoiceCall on_frame callback");
             Result<std::unique_ptr<VoiceCall>> call = Status::Internal("not created");
             {
               py::gil_scoped_release release;
               call = VoiceCall::Create(business, conversation.get(), recognizer, synthesizer, options,
                                        std::move(sink));
             }
             return std::make_unique<PyVoiceCall>(Unwrap(std::move(call)));
           }),
           py::arg("business"), py::arg("conversation"), py::arg("recognizer"), py::arg("synthesizer"),
           py::arg("options") = VoiceCallOptions{}, py::arg("on_frame") = py::none(),
           // The C++ call refers to all of these: keep them alive as long as it lives.
           py::keep_alive<1, 2>(), py::keep_alive<1, 3>(), py::keep_alive<1, 4>(), py::keep_alive<1, 5>())
      .def("start", [](PyVoiceCall& c) { Check(c.get().Start()); }, py::call_guard<py::gil_scoped_release>(),
           "Speaks the greeting (frames go to on_frame).")
      .def("push_frame", [](PyVoiceCall& c, const AudioFrame& f) { Check(c.get().PushFrame(f)); }, py::arg("frame"),
           py::call_guard<py::gil_scoped_release>(), "One inbound frame at options.sample_rate.")
      .def("hangup", [](PyVoiceCall& c) { Check(c.get().Hangup()); }, py::call_guard<py::gil_scoped_release>())
      .def("set_agent_speaking", [](PyVoiceCall& c, bool speaking) { c.get().SetAgentSpeaking(speaking); },
           py::arg("speaking"))
      .def("speak_next", [](PyVoiceCall& c) { Check(c.get().SpeakNext()); }, py::call_guard<py::gil_scoped_release>(),
           "speak_on_demand: synthesizes the next pending sentence (frames go to on_frame).")
      .def_property_readonly("speech_pending", [](PyVoiceCall& c) { return c.get().speech_pending(); },
                             "speak_on_demand: sentences of the agent's answers not synthesized yet")
      .def_property_readonly("ended", [](PyVoiceCall& c) { return c.get().ended(); })
      .def_property_readonly("turns", [](PyVoiceCall& c) { return c.get().turns(); })
      .def_property_readonly("barge_ins", [](PyVoiceCall& c) { return c.get().barge_ins(); });

  py::class_<VoiceScenarioResult>(m, "VoiceScenarioResult")
      .def_readonly("name", &VoiceScenarioResult::name)
      .def_readonly("passed", &VoiceScenarioResult::passed)
      .def_readonly("expects_booking", &VoiceScenarioResult::expects_booking)
      .def_readonly("failures", &VoiceScenarioResult::failures)
      .def_readonly("outcome", &VoiceScenarioResult::outcome)
      .def_readonly("turns", &VoiceScenarioResult::turns)
      .def_readonly("end_silence_ms", &VoiceScenarioResult::end_silence_ms)
      .def_readonly("caller_mishearings", &VoiceScenarioResult::caller_mishearings);
  m.def("run_voice_scenario",
        [](const std::string& scenario_path, const std::string& businesses_dir, Recognizer& agent_recognizer,
           Recognizer& caller_recognizer, Synthesizer& synthesizer, const VoiceCallOptions& call,
           const std::string& caller_voice, int max_turns, py::object on_line) {
          VoiceProviders providers{&agent_recognizer, &caller_recognizer, &synthesizer};
          VoiceScenarioOptions options;
          options.caller_voice = caller_voice;
          options.call = call;
          options.max_turns = max_turns;
          options.on_line = PythonCallback<const std::string&>(std::move(on_line), "on_line callback");
          py::gil_scoped_release release;
          return Unwrap(RunVoiceScenario(scenario_path, businesses_dir, providers, options));
        },
        py::arg("scenario_path"), py::arg("businesses_dir"), py::arg("agent_recognizer"),
        py::arg("caller_recognizer"), py::arg("synthesizer"), py::arg("call") = VoiceCallOptions{},
        py::arg("caller_voice") = VoiceScenarioOptions{}.caller_voice,
        py::arg("max_turns") = VoiceScenarioOptions{}.max_turns, py::arg("on_line") = py::none(),
        "A spoken scenario: the caller's lines are synthesized, the agent hears them through "
        "agent_recognizer (which may be written in Python).");
}

}  // namespace infini::python
