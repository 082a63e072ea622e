// Trampolines: C++ interfaces whose virtual methods call a Python subclass's methods, and
// owners that keep a Python provider alive while C++ holds it.
// Every override goes through CallPython (py_common.h): GIL taken, Python exceptions turned
// into a Status, so a Python provider can never throw into the C++ pipeline.
#pragma once

#include "infini/calendar.h"
#include "infini/language_model.h"
#include "infini/log.h"
#include "infini/messenger.h"
#include "infini/recognizer.h"
#include "infini/synthesizer.h"
#include "py_common.h"

namespace infini::python {

class PyCalendar : public Calendar {
 public:
  Result<std::vector<Appointment>> List(const std::string& business_id, int64_t from_utc,
                                        int64_t to_utc) override;
  Result<Appointment> Book(const Appointment& appt) override;
  Status Cancel(const std::string& id) override;
  Result<Appointment> Move(const std::string& id, int64_t new_start_utc, int64_t new_end_utc,
                           const std::string& new_resource) override;
  Result<std::vector<Appointment>> FindByPhone(const std::string& business_id, const std::string& phone,
                                               int64_t from_utc) override;
};

class PyRecognizerSession : public RecognizerSession {
 public:
  Status Push(const AudioFrame& frame) override;
  Result<Transcript> EndTurn() override;
  void Reset() override;
};

class PyRecognizer : public Recognizer {
 public:
  Result<std::unique_ptr<RecognizerSession>> Start(const RecognizerOptions& options,
                                                   TranscriptCallback on_transcript) override;
  std::string name() const override;
};

class PySynthesisSession : public SynthesisSession {
 public:
  Status Push(std::string_view text) override;
  void Cancel() override;
  void Reset() override;
};

class PySynthesizer : public Synthesizer {
 public:
  Result<std::unique_ptr<SynthesisSession>> Start(const SynthesisOptions& options, FrameCallback on_frame) override;
  std::vector<std::string> voices() const override;
  std::string name() const override;
};

class PyLanguageModel : public LanguageModel {
 public:
  Result<Understanding> Understand(const std::string& utterance, const UnderstandingContext& context) override;
  std::string name() const override;
};

class PyMessenger : public Messenger {
 public:
  Result<std::string> Send(const Message& message) override;
  std::string name() const override;
};

// A reference to a Python object that C++ may drop on any thread (takes the GIL to do so).
class PyRef {
 public:
  explicit PyRef(py::object obj) : obj_(std::move(obj)) {}
  PyRef(const PyRef&) = delete;
  PyRef& operator=(const PyRef&) = delete;
  ~PyRef() {
    if (!Py_IsInitialized()) {
      obj_.release();  // the interpreter is gone; nothing left to free
      return;
    }
    py::gil_scoped_acquire gil;
    obj_ = py::object();
  }
  const py::object& get() const { return obj_; }

 private:
  py::object obj_;
};

// A Python callable handed to C++ as a callback (on_transcript, on_frame): called under the
// GIL from whichever thread C++ uses; an exception in it is logged and dropped, never thrown
// into the C++ code that called it. None gives a callback that does nothing.
template <class Arg>
std::function<void(Arg)> PythonCallback(py::object callable, const char* what) {
  if (callable.is_none()) return [](Arg) {};
  auto ref = std::make_shared<PyRef>(std::move(callable));
  return [ref, what](Arg value) {
    py::gil_scoped_acquire gil;
    try {
      ref->get()(value);
    } catch (py::error_already_set& e) {
      INFINI_LOG(kError, "{}", StatusFromPython(e, what).message());
    }
  };
}

// A C++ `I` owned through its Python object: wraps anything Python hands to C++ as a
// unique_ptr<I> (a registry factory's result, a session returned by start()).
// Returns nullptr-free ownership or a Status saying what the Python value was instead.
template <class I>
Result<std::unique_ptr<I>> AdoptFromPython(py::object obj, const std::string& what);

}  // namespace infini::python
