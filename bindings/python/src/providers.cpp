// Providers from Python: recognizer, synthesizer, language model and messenger interfaces
// (subclassable in Python), the values they exchange, and the provider registry.
#include <pybind11/functional.h>

#include <thread>

#include "infini/registry.h"
#include "json_convert.h"
#include "trampolines.h"

namespace infini::python {

// ------------------------------------------------------------------ owners of Python objects

namespace {

class OwnedRecognizerSession : public RecognizerSession {
 public:
  OwnedRecognizerSession(py::object obj, RecognizerSession* impl) : ref_(std::move(obj)), impl_(impl) {}
  Status Push(const AudioFrame& frame) override { return impl_->Push(frame); }
  Result<Transcript> EndTurn() override { return impl_->EndTurn(); }
  void Reset() override { impl_->Reset(); }

 private:
  PyRef ref_;
  RecognizerSession* impl_;
};

class OwnedRecognizer : public Recognizer {
 public:
  OwnedRecognizer(py::object obj, Recognizer* impl) : ref_(std::move(obj)), impl_(impl) {}
  Result<std::unique_ptr<RecognizerSession>> Start(const RecognizerOptions& options,
                                                   TranscriptCallback cb) override {
    return impl_->Start(options, std::move(cb));
  }
  std::string name() const override { return impl_->name(); }

 private:
  PyRef ref_;
  Recognizer* impl_;
};

class OwnedSynthesisSession : public SynthesisSession {
 public:
  OwnedSynthesisSession(py::object obj, SynthesisSession* impl) : ref_(std::move(obj)), impl_(impl) {}
  Status Push(std::string_view text) override { return impl_->Push(text); }
  void Cancel() override { impl_->Cancel(); }
  void Reset() override { impl_->Reset(); }

 private:
  PyRef ref_;
  SynthesisSession* impl_;
};

class OwnedSynthesizer : public Synthesizer {
 public:
  OwnedSynthesizer(py::object obj, Synthesizer* impl) : ref_(std::move(obj)), impl_(impl) {}
  Result<std::unique_ptr<SynthesisSession>> Start(const SynthesisOptions& options, FrameCallback cb) override {
    return impl_->Start(options, std::move(cb));
  }
  std::vector<std::string> voices() const override { return impl_->voices(); }
  std::string name() const override { return impl_->name(); }

 private:
  PyRef ref_;
  Synthesizer* impl_;
};

class OwnedLanguageModel : public LanguageModel {
 public:
  OwnedLanguageModel(py::object obj, LanguageModel* impl) : ref_(std::move(obj)), impl_(impl) {}
  Result<Understanding> Understand(const std::string& utterance, const UnderstandingContext& context) override {
    return impl_->Understand(utterance, context);
  }
  std::string name() const override { return impl_->name(); }

 private:
  PyRef ref_;
  LanguageModel* impl_;
};

class OwnedCalendar : public Calendar {
 public:
  OwnedCalendar(py::object obj, Calendar* impl) : ref_(std::move(obj)), impl_(impl) {}
  Result<std::vector<Appointment>> List(const std::string& b, int64_t from, int64_t to) override {
    return impl_->List(b, from, to);
  }
  Result<Appointment> Book(const Appointment& appt) override { return impl_->Book(appt); }
  Status Cancel(const std::string& id) override { return impl_->Cancel(id); }
  Result<Appointment> Move(const std::string& id, int64_t s, int64_t e, const std::string& r) override {
    return impl_->Move(id, s, e, r);
  }
  Result<std::vector<Appointment>> FindByPhone(const std::string& b, const std::string& p, int64_t f) override {
    return impl_->FindByPhone(b, p, f);
  }

 private:
  PyRef ref_;
  Calendar* impl_;
};

class OwnedMessenger : public Messenger {
 public:
  OwnedMessenger(py::object obj, Messenger* impl) : ref_(std::move(obj)), impl_(impl) {}
  Result<std::string> Send(const Message& message) override { return impl_->Send(message); }
  std::string name() const override { return impl_->name(); }

 private:
  PyRef ref_;
  Messenger* impl_;
};

template <class I> struct OwnerOf;
template <> struct OwnerOf<RecognizerSession> { using type = OwnedRecognizerSession; static constexpr const char* py = "infini.RecognizerSession"; };
template <> struct OwnerOf<Recognizer> { using type = OwnedRecognizer; static constexpr const char* py = "infini.Recognizer"; };
template <> struct OwnerOf<SynthesisSession> { using type = OwnedSynthesisSession; static constexpr const char* py = "infini.SynthesisSession"; };
template <> struct OwnerOf<Synthesizer> { using type = OwnedSynthesizer; static constexpr const char* py = "infini.Synthesizer"; };
template <> struct OwnerOf<LanguageModel> { using type = OwnedLanguageModel; static constexpr const char* py = "infini.LanguageModel"; };
template <> struct OwnerOf<Calendar> { using type = OwnedCalendar; static constexpr const char* py = "infini.Calendar"; };
template <> struct OwnerOf<Messenger> { using type = OwnedMessenger; static constexpr const char* py = "infini.Messenger"; };

std::string TypeName(py::handle obj) { return py::str(py::type::handle_of(obj).attr("__name__")); }

}  // namespace

template <class I>
Result<std::unique_ptr<I>> AdoptFromPython(py::object obj, const std::string& what) {
  I* impl = nullptr;
  try {
    impl = obj.cast<I*>();
  } catch (const py::cast_error&) {
    return Status::Unavailable(
        fmt::format("{} returned a {}, expected an {}", what, TypeName(obj), OwnerOf<I>::py));
  }
  if (impl == nullptr)
    return Status::Unavailable(fmt::format("{} returned None, expected an {}", what, OwnerOf<I>::py));
  return std::unique_ptr<I>(new typename OwnerOf<I>::type(std::move(obj), impl));
}

// ------------------------------------------------------------------ trampolines

namespace {
// The Python object behind a trampoline (it is registered, so this finds it). Needs the GIL.
template <class Base>
py::object PythonSelf(const Base* self) {
  return py::cast(self, py::return_value_policy::reference);
}

template <class I, class Base, class... Args>
Result<std::unique_ptr<I>> StartPython(const Base* self, const char* kind, Args&&... args) {
  auto started = CallPython<py::object>(self, kind, "start", std::forward<Args>(args)...);
  if (!started.ok()) return started.status();
  py::gil_scoped_acquire gil;
  return AdoptFromPython<I>(std::move(started).value(),
                            fmt::format("python {} {}.start()", kind, TypeName(PythonSelf(self))));
}

// name() must not fail: a provider without one is called by its Python class name.
template <class Base>
std::string PythonName(const Base* self, const char* kind) {
  auto name = CallPython<std::string>(self, kind, "name");
  if (name.ok()) return name.value();
  py::gil_scoped_acquire gil;
  return TypeName(PythonSelf(self));
}
}  // namespace

Status PyRecognizerSession::Push(const AudioFrame& frame) {
  return CallPythonStatus(this, "recognizer session", "push", frame);
}
Result<Transcript> PyRecognizerSession::EndTurn() {
  return CallPython<Transcript>(this, "recognizer session", "end_turn");
}
void PyRecognizerSession::Reset() {
  Status st = CallPythonStatus(this, "recognizer session", "reset");
  if (!st.ok() && !(st.code() == Status::Code::kUnimplemented))
    INFINI_LOG(kWarn, "{}", st.ToString());
}
Result<std::unique_ptr<RecognizerSession>> PyRecognizer::Start(const RecognizerOptions& options,
                                                               TranscriptCallback on_transcript) {
  return StartPython<RecognizerSession>(static_cast<const Recognizer*>(this), "recognizer", options, std::move(on_transcript));
}
std::string PyRecognizer::name() const { return PythonName(static_cast<const Recognizer*>(this), "recognizer"); }

Status PySynthesisSession::Push(std::string_view text) {
  return CallPythonStatus(this, "synthesis session", "push", std::string(text));
}
void PySynthesisSession::Cancel() {
  Status st = CallPythonStatus(this, "synthesis session", "cancel");
  if (!st.ok()) INFINI_LOG(kWarn, "{}", st.ToString());
}
void PySynthesisSession::Reset() {
  Status st = CallPythonStatus(this, "synthesis session", "reset");
  if (!st.ok() && !(st.code() == Status::Code::kUnimplemented))
    INFINI_LOG(kWarn, "{}", st.ToString());
}
Result<std::unique_ptr<SynthesisSession>> PySynthesizer::Start(const SynthesisOptions& options,
                                                               FrameCallback on_frame) {
  return StartPython<SynthesisSession>(static_cast<const Synthesizer*>(this), "synthesizer", options, std::move(on_frame));
}
std::vector<std::string> PySynthesizer::voices() const {
  auto voices = CallPython<std::vector<std::string>>(this, "synthesizer", "voices");
  return voices.ok() ? voices.value() : std::vector<std::string>{};
}
std::string PySynthesizer::name() const { return PythonName(static_cast<const Synthesizer*>(this), "synthesizer"); }

Result<Understanding> PyLanguageModel::Understand(const std::string& utterance,
                                                  const UnderstandingContext& context) {
  return CallPython<Understanding>(this, "language model", "understand", utterance, context);
}
std::string PyLanguageModel::name() const { return PythonName(static_cast<const LanguageModel*>(this), "language model"); }

Result<std::string> PyMessenger::Send(const Message& message) {
  return CallPython<std::string>(this, "messenger", "send", message);
}
std::string PyMessenger::name() const { return PythonName(static_cast<const Messenger*>(this), "messenger"); }

// ------------------------------------------------------------------ registry

namespace {

// Python factories are held through a shared PyRef so that copies never touch refcounts
// without the GIL.
template <class I>
ProviderRegistry::Factory<I> PythonFactory(py::function factory, std::string kind, std::string name) {
  auto ref = std::make_shared<PyRef>(std::move(factory));
  return [ref, kind, name](const nlohmann::json& config) -> Result<std::unique_ptr<I>> {
    py::gil_scoped_acquire gil;
    const std::string what = fmt::format("python {} factory '{}'", kind, name);
    try {
      py::object made = ref->get()(JsonToPython(config));
      return AdoptFromPython<I>(std::move(made), what);
    } catch (py::error_already_set& e) {
      return StatusFromPython(e, what);
    }
  };
}

class PyRegistry {
 public:
  explicit PyRegistry(bool builtin) {
    if (builtin) RegisterBuiltinProviders(registry_);
  }

  void Add(const std::string& kind, const std::string& name, py::function factory) {
    if (kind == "recognizer") registry_.AddFactory<Recognizer>(name, PythonFactory<Recognizer>(factory, kind, name));
    else if (kind == "synthesizer") registry_.AddFactory<Synthesizer>(name, PythonFactory<Synthesizer>(factory, kind, name));
    else if (kind == "language_model") registry_.AddFactory<LanguageModel>(name, PythonFactory<LanguageModel>(factory, kind, name));
    else if (kind == "calendar") registry_.AddFactory<Calendar>(name, PythonFactory<Calendar>(factory, kind, name));
    else if (kind == "messenger") registry_.AddFactory<Messenger>(name, PythonFactory<Messenger>(factory, kind, name));
    else throw StatusError(UnknownKind(kind));
  }

  std::vector<std::string> Names(const std::string& kind) const {
    if (kind == "recognizer") return registry_.Names<Recognizer>();
    if (kind == "synthesizer") return registry_.Names<Synthesizer>();
    if (kind == "language_model") return registry_.Names<LanguageModel>();
    if (kind == "calendar") return registry_.Names<Calendar>();
    if (kind == "messenger") return registry_.Names<Messenger>();
    throw StatusError(UnknownKind(kind));
  }

  py::object Make(const std::string& kind, py::handle spec_obj) const {
    const nlohmann::json spec = PythonToJson(spec_obj, "ProviderRegistry.make(spec)");
    if (kind == "recognizer") return MakeAs<Recognizer>(spec);
    if (kind == "synthesizer") return MakeAs<Synthesizer>(spec);
    if (kind == "language_model") return MakeAs<LanguageModel>(spec);
    if (kind == "calendar") return MakeAs<Calendar>(spec);
    if (kind == "messenger") return MakeAs<Messenger>(spec);
    throw StatusError(UnknownKind(kind));
  }

 private:
  static Status UnknownKind(const std::string& kind) {
    return Status::InvalidArgument(fmt::format(
        "unknown provider kind '{}' (known: recognizer, synthesizer, language_model, calendar, messenger)", kind));
  }
  template <class I>
  py::object MakeAs(const nlohmann::json& spec) const {
    Result<std::unique_ptr<I>> made = Status::Internal("not built");
    {
      py::gil_scoped_release release;  // factories (pocketsphinx) may take a while
      made = registry_.Make<I>(spec);
    }
    return py::cast(std::shared_ptr<I>(Unwrap(std::move(made))));
  }

  ProviderRegistry registry_;
};

}  // namespace

// ------------------------------------------------------------------ bindings

void BindProviders(py::module_& m) {
  // ---- recognizer ----
  py::class_<RecognizedWord>(m, "RecognizedWord")
      .def(py::init([](std::string word, int64_t start_ms, int64_t end_ms) {
             return RecognizedWord{std::move(word), start_ms, end_ms};
           }), py::arg("word") = "", py::arg("start_ms") = 0, py::arg("end_ms") = 0)
      .def_readwrite("word", &RecognizedWord::word)
      .def_readwrite("start_ms", &RecognizedWord::start_ms)
      .def_readwrite("end_ms", &RecognizedWord::end_ms);
  py::class_<Transcript>(m, "Transcript")
      .def(py::init([](std::string text, bool is_final, double confidence, int64_t start_ms, int64_t end_ms,
                       std::vector<RecognizedWord> words, std::string source) {
             return Transcript{std::move(text), is_final, confidence, start_ms, end_ms, std::move(words),
                               std::move(source)};
           }), py::arg("text") = "", py::arg("is_final") = false, py::arg("confidence") = 0.0,
           py::arg("start_ms") = 0, py::arg("end_ms") = 0, py::arg("words") = std::vector<RecognizedWord>{},
           py::arg("source") = "")
      .def_readwrite("text", &Transcript::text)
      .def_readwrite("is_final", &Transcript::is_final)
      .def_readwrite("confidence", &Transcript::confidence)
      .def_readwrite("start_ms", &Transcript::start_ms)
      .def_readwrite("end_ms", &Transcript::end_ms)
      .def_readwrite("words", &Transcript::words)
      .def_readwrite("source", &Transcript::source)
      .def("__repr__", [](const Transcript& t) {
        return fmt::format("Transcript('{}', is_final={}, confidence={:.2f}, source='{}')", t.text,
                           t.is_final ? "True" : "False", t.confidence, t.source);
      });
  py::class_<RecognizerHints>(m, "RecognizerHints")
      .def(py::init([](std::vector<std::string> phrases, std::string jsgf) {
             return RecognizerHints{std::move(phrases), std::move(jsgf)};
           }), py::arg("phrases") = std::vector<std::string>{}, py::arg("jsgf") = "")
      .def_readwrite("phrases", &RecognizerHints::phrases)
      .def_readwrite("jsgf", &RecognizerHints::jsgf);
  py::class_<RecognizerOptions>(m, "RecognizerOptions")
      .def(py::init([](int sample_rate, std::string language, bool partials, RecognizerHints hints, int source_rate) {
             return RecognizerOptions{.sample_rate = sample_rate, .source_rate = source_rate,
                                      .language = std::move(language), .partials = partials, .hints = std::move(hints)};
           }), py::arg("sample_rate") = 16000, py::arg("language") = "en-US", py::arg("partials") = true,
           py::arg("hints") = RecognizerHints{}, py::arg("source_rate") = 0)
      .def_readwrite("sample_rate", &RecognizerOptions::sample_rate)
      .def_readwrite("source_rate", &RecognizerOptions::source_rate,
                     "the audio's real band when it was resampled before push (8000: telephone audio at 16 kHz); 0: sample_rate")
      .def_readwrite("language", &RecognizerOptions::language)
      .def_readwrite("partials", &RecognizerOptions::partials)
      .def_readwrite("hints", &RecognizerOptions::hints);

  py::class_<RecognizerSession, PyRecognizerSession, std::shared_ptr<RecognizerSession>>(
      m, "RecognizerSession",
      "One streaming recognition session. A Python subclass implements push(frame), "
      "end_turn() -> Transcript and reset().")
      .def(py::init<>())
      .def("push", [](RecognizerSession& s, const AudioFrame& f) { Check(s.Push(f)); }, py::arg("frame"),
           py::call_guard<py::gil_scoped_release>())
      .def("end_turn", [](RecognizerSession& s) { return Unwrap(s.EndTurn()); },
           py::call_guard<py::gil_scoped_release>())
      .def("reset", [](RecognizerSession& s) { s.Reset(); }, py::call_guard<py::gil_scoped_release>());
  py::class_<Recognizer, PyRecognizer, std::shared_ptr<Recognizer>>(
      m, "Recognizer",
      "Streaming speech recognizer. A Python subclass implements start(options, on_transcript) "
      "returning a RecognizerSession, and name().")
      .def(py::init<>())
      .def("start", [](Recognizer& r, const RecognizerOptions& options, py::object on_transcript) {
             TranscriptCallback cb = PythonCallback<const Transcript&>(on_transcript, "on_transcript callback");
             Result<std::unique_ptr<RecognizerSession>> started = Status::Internal("not started");
             {
               py::gil_scoped_release release;
               started = r.Start(options, std::move(cb));
             }
             return std::shared_ptr<RecognizerSession>(Unwrap(std::move(started)));
           }, py::arg("options") = RecognizerOptions{}, py::arg("on_transcript") = py::none())
      .def("name", &Recognizer::name);

  // ---- synthesizer ----
  py::class_<SynthesisOptions>(m, "SynthesisOptions")
      .def(py::init([](std::string voice, int sample_rate, int frame_ms) {
             return SynthesisOptions{std::move(voice), sample_rate, frame_ms};
           }), py::arg("voice") = "", py::arg("sample_rate") = 16000, py::arg("frame_ms") = kFrameMs)
      .def_readwrite("voice", &SynthesisOptions::voice)
      .def_readwrite("sample_rate", &SynthesisOptions::sample_rate)
      .def_readwrite("frame_ms", &SynthesisOptions::frame_ms);
  py::class_<SynthesisSession, PySynthesisSession, std::shared_ptr<SynthesisSession>>(
      m, "SynthesisSession",
      "One streaming synthesis session. A Python subclass implements push(text) (calling the "
      "on_frame it was started with once per AudioFrame), cancel() and reset().")
      .def(py::init<>())
      .def("push", [](SynthesisSession& s, const std::string& text) { Check(s.Push(text)); }, py::arg("text"),
           py::call_guard<py::gil_scoped_release>())
      .def("cancel", [](SynthesisSession& s) { s.Cancel(); }, py::call_guard<py::gil_scoped_release>())
      .def("reset", [](SynthesisSession& s) { s.Reset(); }, py::call_guard<py::gil_scoped_release>());
  py::class_<Synthesizer, PySynthesizer, std::shared_ptr<Synthesizer>>(
      m, "Synthesizer",
      "Streaming speech synthesizer. A Python subclass implements start(options, on_frame) "
      "returning a SynthesisSession, voices() and name().")
      .def(py::init<>())
      .def("start", [](Synthesizer& s, const SynthesisOptions& options, py::object on_frame) {
             FrameCallback cb = PythonCallback<AudioFrame>(on_frame, "on_frame callback");
             Result<std::unique_ptr<SynthesisSession>> started = Status::Internal("not started");
             {
               py::gil_scoped_release release;
               started = s.Start(options, std::move(cb));
             }
             return std::shared_ptr<SynthesisSession>(Unwrap(std::move(started)));
           }, py::arg("options") = SynthesisOptions{}, py::arg("on_frame") = py::none())
      .def("voices", &Synthesizer::voices)
      .def("name", &Synthesizer::name);
  m.def("synthesize", [](Synthesizer& s, const std::string& text, const SynthesisOptions& options) {
        Result<std::vector<int16_t>> samples = Status::Internal("not synthesized");
        {
          py::gil_scoped_release release;
          samples = SynthesizeAll(s, text, options);
        }
        return AudioFrame{Unwrap(std::move(samples)), options.sample_rate, 1, 0};
      }, py::arg("synthesizer"), py::arg("text"), py::arg("options") = SynthesisOptions{},
      "The whole utterance as one AudioFrame (through the streaming interface).");
  m.def("split_sentences", [](const std::string& text) { return SplitSentences(text); }, py::arg("text"));

  // ---- language model ----
  py::class_<UnderstandingContext>(m, "UnderstandingContext")
      .def(py::init([](std::string business_id, std::string state, std::string expecting,
                       std::vector<std::string> history) {
             return UnderstandingContext{std::move(business_id), std::move(state), std::move(expecting),
                                         std::move(history)};
           }), py::arg("business_id") = "", py::arg("state") = "", py::arg("expecting") = "",
           py::arg("history") = std::vector<std::string>{})
      .def_readwrite("business_id", &UnderstandingContext::business_id)
      .def_readwrite("state", &UnderstandingContext::state)
      .def_readwrite("expecting", &UnderstandingContext::expecting)
      .def_readwrite("history", &UnderstandingContext::history);
  py::class_<Understanding>(m, "Understanding")
      .def(py::init([](std::string intent, double confidence, std::map<std::string, std::string> slots,
                       std::string reply) {
             return Understanding{std::move(intent), confidence, std::move(slots), std::move(reply)};
           }), py::arg("intent") = "", py::arg("confidence") = 0.0,
           py::arg("slots") = std::map<std::string, std::string>{}, py::arg("reply") = "")
      .def_readwrite("intent", &Understanding::intent)
      .def_readwrite("confidence", &Understanding::confidence)
      .def_readwrite("slots", &Understanding::slots)
      .def_readwrite("reply", &Understanding::reply)
      .def("__repr__", [](const Understanding& u) {
        return fmt::format("Understanding(intent='{}', confidence={:.2f}, {} slots)", u.intent, u.confidence,
                           u.slots.size());
      });
  py::class_<LanguageModel, PyLanguageModel, std::shared_ptr<LanguageModel>>(
      m, "LanguageModel",
      "NLU: utterance -> intent and slots. A Python subclass implements "
      "understand(utterance, context) -> Understanding, and name().")
      .def(py::init<>())
      .def("understand", [](LanguageModel& lm, const std::string& utterance, const UnderstandingContext& context) {
             return Unwrap(lm.Understand(utterance, context));
           }, py::arg("utterance"), py::arg("context") = UnderstandingContext{},
           py::call_guard<py::gil_scoped_release>())
      .def("name", &LanguageModel::name);

  // ---- messenger ----
  py::class_<Message> message(m, "Message");
  py::enum_<Message::Kind>(message, "Kind").value("SMS", Message::Kind::kSms).value("EMAIL", Message::Kind::kEmail);
  message
      .def(py::init([](std::string to, std::string body, Message::Kind kind, std::string subject, std::string call_id) {
             return Message{std::move(to), std::move(body), kind, std::move(subject), std::move(call_id)};
           }), py::arg("to") = "", py::arg("body") = "", py::arg("kind") = Message::Kind::kSms,
           py::arg("subject") = "", py::arg("call_id") = "")
      .def_readwrite("to", &Message::to)
      .def_readwrite("body", &Message::body)
      .def_readwrite("kind", &Message::kind)
      .def_readwrite("subject", &Message::subject)
      .def_readwrite("call_id", &Message::call_id);
  py::class_<Messenger, PyMessenger, std::shared_ptr<Messenger>>(
      m, "Messenger", "Sends SMS/e-mail. A Python subclass implements send(message) -> id, and name().")
      .def(py::init<>())
      .def("send", [](Messenger& ms, const Message& msg) { return Unwrap(ms.Send(msg)); }, py::arg("message"),
           py::call_guard<py::gil_scoped_release>())
      .def("name", &Messenger::name);

  // ---- registry ----
  py::class_<PyRegistry>(m, "ProviderRegistry",
                         "Providers by name; specs are a name, a dict with 'name', or a list of those "
                         "(primary first, then fallbacks).")
      .def(py::init<bool>(), py::arg("builtin") = true,
           "builtin=True starts with the embedded providers (pocketsphinx, flite) and their fallback chains.")
      .def("add", &PyRegistry::Add, py::arg("kind"), py::arg("name"), py::arg("factory"),
           "Registers factory(config: dict) -> provider for kind 'recognizer', 'synthesizer', "
           "'language_model', 'calendar' or 'messenger'.")
      .def("names", &PyRegistry::Names, py::arg("kind"))
      .def("make", &PyRegistry::Make, py::arg("kind"), py::arg("spec"),
           "Builds the provider or fallback chain described by spec.");

  // Test hooks: call Python providers from a C++ std::thread, as the voice pipeline's workers do.
  py::module_ testing = m.attr("_testing").cast<py::module_>();
  testing.def("understand_from_cpp_thread", [](LanguageModel& lm, const std::string& utterance) {
        Result<Understanding> result = Status::Internal("thread did not run");
        {
          py::gil_scoped_release release;
          std::thread worker([&] { result = lm.Understand(utterance, {}); });
          worker.join();
        }
        return Unwrap(std::move(result));
      });
  testing.def("recognize_from_cpp_thread", [](Recognizer& r, const AudioFrame& audio, int frame_ms) {
        Result<Transcript> result = Status::Internal("thread did not run");
        {
          py::gil_scoped_release release;
          std::thread worker([&] {
            RecognizerOptions options;
            options.sample_rate = audio.sample_rate;
            auto session = r.Start(options, [](const Transcript&) {});
            if (!session.ok()) {
              result = session.status();
              return;
            }
            const size_t step = static_cast<size_t>(AudioFrame::SamplesPerFrame(audio.sample_rate, frame_ms));
            for (size_t i = 0; i < audio.samples.size(); i += step) {
              AudioFrame f;
              f.sample_rate = audio.sample_rate;
              f.samples.assign(audio.samples.begin() + static_cast<ptrdiff_t>(i),
                               audio.samples.begin() + static_cast<ptrdiff_t>(std::min(i + step, audio.samples.size())));
              Status st = (*session)->Push(f);
              if (!st.ok()) {
                result = st;
                return;
              }
            }
            result = (*session)->EndTurn();
          });
          worker.join();
        }
        return Unwrap(std::move(result));
      }, py::arg("recognizer"), py::arg("audio"), py::arg("frame_ms") = kFrameMs);
}

}  // namespace infini::python
