// Audio utilities on bytes and sample arrays: G.711, resampling, WAV, base64, VAD, turns.
#include <pybind11/numpy.h>

#include <cstring>

#include "infini/audio_frame.h"
#include "infini/base64.h"
#include "infini/g711.h"
#include "infini/resampler.h"
#include "infini/turn.h"
#include "infini/vad.h"
#include "infini/wav.h"
#include "py_common.h"

namespace infini::python {

bool HaveNumpy() {
  static const bool have = [] {
    try {
      py::module_::import("numpy");
      return true;
    } catch (const py::error_already_set&) {
      return false;
    }
  }();
  return have;
}

std::vector<int16_t> SamplesFromPython(py::handle obj, const char* what) {
  if (PyObject_CheckBuffer(obj.ptr())) {
    py::buffer_info info = py::reinterpret_borrow<py::buffer>(obj).request();
    const std::string format = info.format;
    const bool is_int16 = info.itemsize == 2 && (format == "h" || format == "<h" || format == "=h" ||
                                                 format == "@h");
    const bool is_bytes = info.itemsize == 1 && (format == "B" || format == "b" || format == "c");
    if (!is_int16 && !is_bytes)
      throw StatusError(Status::InvalidArgument(fmt::format(
          "{}: expected int16 samples or PCM16 bytes, got a buffer of format '{}' (itemsize {})",
          what, format, info.itemsize)));
    if (info.ndim > 1) {
      ssize_t rows_of_one = 0;
      for (auto dim : info.shape) rows_of_one += dim != 1;
      if (rows_of_one > 1)
        throw StatusError(Status::InvalidArgument(
            fmt::format("{}: expected a 1-D sample array, got {} dimensions", what, info.ndim)));
    }
    // Copy element by element through the strides, so non-contiguous views work too.
    std::vector<int16_t> samples;
    if (is_bytes) {
      if (info.size % 2 != 0)
        throw StatusError(Status::InvalidArgument(fmt::format(
            "{}: PCM16 bytes must have an even length, got {} bytes", what, info.size)));
      samples.resize(static_cast<size_t>(info.size / 2));
      if (info.ndim <= 1 && (info.ndim == 0 || info.strides[0] == 1)) {
        std::memcpy(samples.data(), info.ptr, samples.size() * 2);  // little-endian host
      } else {
        throw StatusError(Status::InvalidArgument(
            fmt::format("{}: PCM16 bytes must be a contiguous 1-D buffer", what)));
      }
      return samples;
    }
    samples.resize(static_cast<size_t>(info.size));
    const auto* base = static_cast<const char*>(info.ptr);
    const ssize_t stride = info.ndim == 0 ? 2 : info.strides[info.ndim - 1];
    ssize_t step = stride;
    if (info.ndim > 1)
      for (ssize_t d = 0; d < info.ndim; ++d)
        if (info.shape[d] != 1) step = info.strides[d];
    for (size_t i = 0; i < samples.size(); ++i)
      std::memcpy(&samples[i], base + static_cast<ssize_t>(i) * step, 2);
    return samples;
  }
  if (py::isinstance<py::sequence>(obj) && !py::isinstance<py::str>(obj)) {
    std::vector<int16_t> samples;
    for (py::handle item : py::reinterpret_borrow<py::sequence>(obj)) {
      long value = 0;
      try {
        value = item.cast<long>();
      } catch (const py::cast_error&) {
        throw StatusError(Status::InvalidArgument(
            fmt::format("{}: sample {} is not an integer", what, samples.size())));
      }
      if (value < -32768 || value > 32767)
        throw StatusError(Status::InvalidArgument(fmt::format(
            "{}: sample {} = {} is outside the int16 range", what, samples.size(), value)));
      samples.push_back(static_cast<int16_t>(value));
    }
    return samples;
  }
  throw StatusError(Status::InvalidArgument(fmt::format(
      "{}: expected int16 samples (numpy array, array('h'), list of ints) or PCM16 bytes, got {}",
      what, std::string(py::str(py::type::handle_of(obj).attr("__name__"))))));
}

std::vector<uint8_t> BytesFromPython(py::handle obj, const char* what) {
  if (!PyObject_CheckBuffer(obj.ptr()))
    throw StatusError(Status::InvalidArgument(fmt::format(
        "{}: expected bytes-like data, got {}", what,
        std::string(py::str(py::type::handle_of(obj).attr("__name__"))))));
  py::buffer_info info = py::reinterpret_borrow<py::buffer>(obj).request();
  if (info.itemsize != 1 || info.ndim > 1 || (info.ndim == 1 && info.strides[0] != 1))
    throw StatusError(Status::InvalidArgument(fmt::format(
        "{}: expected contiguous bytes, got a buffer of format '{}'", what, info.format)));
  const auto* p = static_cast<const uint8_t*>(info.ptr);
  return std::vector<uint8_t>(p, p + info.size);
}

py::object SamplesToPython(std::span<const int16_t> samples) {
  if (HaveNumpy()) {
    py::array_t<int16_t> out(static_cast<ssize_t>(samples.size()));
    if (!samples.empty()) std::memcpy(out.mutable_data(), samples.data(), samples.size() * 2);
    return out;
  }
  py::bytes raw(reinterpret_cast<const char*>(samples.data()), samples.size() * 2);
  return py::module_::import("array").attr("array")("h", raw);
}

namespace {

ResamplerBackend BackendFromName(const std::string& name) {
  if (name == "default") return ResamplerBackend::kDefault;
  if (name == "soxr") return ResamplerBackend::kSoxr;
  if (name == "libsamplerate") return ResamplerBackend::kLibsamplerate;
  throw StatusError(Status::InvalidArgument(fmt::format(
      "unknown resampler backend '{}' (known: default, soxr, libsamplerate)", name)));
}
ResamplerQuality QualityFromName(const std::string& name) {
  if (name == "low") return ResamplerQuality::kLow;
  if (name == "medium") return ResamplerQuality::kMedium;
  if (name == "high") return ResamplerQuality::kHigh;
  throw StatusError(Status::InvalidArgument(
      fmt::format("unknown resampler quality '{}' (known: low, medium, high)", name)));
}
WavEncoding EncodingFromName(const std::string& name) {
  if (name == "pcm16") return WavEncoding::kPcm16;
  if (name == "mulaw" || name == "ulaw") return WavEncoding::kMulaw;
  throw StatusError(Status::InvalidArgument(
      fmt::format("unknown WAV encoding '{}' (known: pcm16, mulaw)", name)));
}

// The Python-facing resampler: one stream, state carried across process() calls.
class PyResampler {
 public:
  PyResampler(int from_hz, int to_hz, const std::string& backend, const std::string& quality) {
    ResamplerOptions options;
    options.from_hz = from_hz;
    options.to_hz = to_hz;
    options.backend = BackendFromName(backend);
    options.quality = QualityFromName(quality);
    resampler_ = Unwrap(Resampler::Create(options));
  }
  py::object Process(py::handle samples) {
    std::vector<int16_t> in = SamplesFromPython(samples, "Resampler.process(samples)");
    std::vector<int16_t> out;
    {
      py::gil_scoped_release release;
      Check(resampler_->Process(in, out));
    }
    return SamplesToPython(out);
  }
  py::object Flush() {
    std::vector<int16_t> out;
    Check(resampler_->Flush(out));
    return SamplesToPython(out);
  }
  void Reset() { resampler_->Reset(); }
  const ResamplerOptions& options() const { return resampler_->options(); }

 private:
  std::unique_ptr<Resampler> resampler_;
};

AudioFrame MakeFrame(py::handle samples, int sample_rate, int channels, int64_t timestamp_ms) {
  if (sample_rate <= 0)
    throw StatusError(Status::InvalidArgument(fmt::format("AudioFrame: sample_rate must be positive, got {}", sample_rate)));
  if (channels <= 0)
    throw StatusError(Status::InvalidArgument(fmt::format("AudioFrame: channels must be positive, got {}", channels)));
  AudioFrame frame;
  if (!samples.is_none()) frame.samples = SamplesFromPython(samples, "AudioFrame(samples)");
  if (frame.samples.size() % static_cast<size_t>(channels) != 0)
    throw StatusError(Status::InvalidArgument(fmt::format(
        "AudioFrame: {} samples is not a whole number of {}-channel frames", frame.samples.size(), channels)));
  frame.sample_rate = sample_rate;
  frame.channels = channels;
  frame.timestamp_ms = timestamp_ms;
  return frame;
}

}  // namespace

void BindAudio(py::module_& m) {
  m.attr("FRAME_MS") = kFrameMs;

  py::class_<AudioFrame>(m, "AudioFrame",
                         "Interleaved PCM16 samples with their rate and channel count.")
      .def(py::init(&MakeFrame), py::arg("samples") = py::none(), py::arg("sample_rate") = 16000,
           py::arg("channels") = 1, py::arg("timestamp_ms") = 0)
      .def_property(
          "samples", [](const AudioFrame& f) { return SamplesToPython(f.samples); },
          [](AudioFrame& f, py::handle s) { f.samples = SamplesFromPython(s, "AudioFrame.samples"); },
          "int16 samples (numpy array when numpy is installed, else array.array('h'))")
      .def_readwrite("sample_rate", &AudioFrame::sample_rate)
      .def_readwrite("channels", &AudioFrame::channels)
      .def_readwrite("timestamp_ms", &AudioFrame::timestamp_ms)
      .def_property_readonly("sample_count", &AudioFrame::sample_count)
      .def_property_readonly("duration_ms", &AudioFrame::duration_ms)
      .def("__len__", [](const AudioFrame& f) { return f.samples.size(); })
      .def("pcm_bytes", [](const AudioFrame& f) {
             return py::bytes(reinterpret_cast<const char*>(f.samples.data()), f.samples.size() * 2);
           }, "The samples as PCM16 little-endian bytes.")
      .def_static("silence", &AudioFrame::Silence, py::arg("sample_rate"), py::arg("ms") = kFrameMs,
                  py::arg("channels") = 1)
      .def("__repr__", [](const AudioFrame& f) {
        return fmt::format("AudioFrame({} samples, {} Hz, {} ch, {} ms)", f.samples.size(), f.sample_rate,
                           f.channels, f.duration_ms());
      });

  // ---- G.711 ----
  m.def("ulaw_encode", [](py::handle pcm) {
        return BytesToPython(g711::EncodeUlaw(SamplesFromPython(pcm, "ulaw_encode(pcm)")));
      }, py::arg("pcm"), "PCM16 samples (array or PCM16 bytes) -> G.711 mu-law bytes, one per sample.");
  m.def("ulaw_decode", [](py::handle data) {
        return SamplesToPython(g711::DecodeUlaw(BytesFromPython(data, "ulaw_decode(data)")));
      }, py::arg("data"), "G.711 mu-law bytes -> int16 samples.");
  m.def("alaw_encode", [](py::handle pcm) {
        return BytesToPython(g711::EncodeAlaw(SamplesFromPython(pcm, "alaw_encode(pcm)")));
      }, py::arg("pcm"), "PCM16 samples -> G.711 A-law bytes.");
  m.def("alaw_decode", [](py::handle data) {
        return SamplesToPython(g711::DecodeAlaw(BytesFromPython(data, "alaw_decode(data)")));
      }, py::arg("data"), "G.711 A-law bytes -> int16 samples.");

  // ---- resampling ----
  py::class_<PyResampler>(m, "Resampler",
                          "Streaming resampler between 8, 16, 24 and 48 kHz (mono PCM16). "
                          "One instance per stream.")
      .def(py::init<int, int, const std::string&, const std::string&>(), py::arg("from_hz"),
           py::arg("to_hz"), py::arg("backend") = "default", py::arg("quality") = "low")
      .def("process", &PyResampler::Process, py::arg("samples"),
           "Resampled output of `samples` (lags input by the filter delay).")
      .def("flush", &PyResampler::Flush, "Drains what the filter holds back at the end of a stream.")
      .def("reset", &PyResampler::Reset)
      .def_property_readonly("from_hz", [](const PyResampler& r) { return r.options().from_hz; })
      .def_property_readonly("to_hz", [](const PyResampler& r) { return r.options().to_hz; })
      .def_property_readonly("backend", [](const PyResampler& r) {
        return std::string(ResamplerBackendName(r.options().backend));
      });
  m.def("resample", [](py::handle samples, int from_hz, int to_hz, const std::string& backend,
                       const std::string& quality) {
        ResamplerOptions options;
        options.from_hz = from_hz;
        options.to_hz = to_hz;
        options.backend = BackendFromName(backend);
        options.quality = QualityFromName(quality);
        std::vector<int16_t> in = SamplesFromPython(samples, "resample(samples)");
        std::vector<int16_t> out;
        {
          py::gil_scoped_release release;
          auto resampler = Unwrap(Resampler::Create(options));
          out.reserve(in.size() * static_cast<size_t>(to_hz) / static_cast<size_t>(from_hz) + 64);
          Check(resampler->Process(in, out));
          Check(resampler->Flush(out));
        }
        return SamplesToPython(out);
      }, py::arg("samples"), py::arg("from_hz"), py::arg("to_hz"), py::arg("backend") = "default",
      py::arg("quality") = "low",
      "Resamples a whole signal (process + flush): len(out) ~= len(samples) * to_hz / from_hz.");
  m.def("is_supported_sample_rate", &IsSupportedSampleRate, py::arg("hz"));

  // ---- WAV ----
  m.def("read_wav", [](const std::string& path) { return Unwrap(ReadWav(path)); }, py::arg("path"),
        "Reads a PCM16 or mu-law WAV file into an AudioFrame (mu-law is decoded).",
        py::call_guard<py::gil_scoped_release>());
  m.def("parse_wav", [](py::handle data, const std::string& name) {
        return Unwrap(ParseWav(BytesFromPython(data, "parse_wav(data)"), name));
      }, py::arg("data"), py::arg("name") = "<memory>", "Parses WAV bytes already in memory.");
  m.def("encode_wav", [](const AudioFrame& audio, const std::string& encoding) {
        return BytesToPython(EncodeWav(audio, EncodingFromName(encoding)));
      }, py::arg("audio"), py::arg("encoding") = "pcm16", "AudioFrame -> WAV file bytes (pcm16 or mulaw).");
  m.def("write_wav", [](const std::string& path, const AudioFrame& audio, const std::string& encoding) {
        const WavEncoding e = EncodingFromName(encoding);
        py::gil_scoped_release release;
        Check(WriteWav(path, audio, e));
      }, py::arg("path"), py::arg("audio"), py::arg("encoding") = "pcm16");

  // ---- base64 (Twilio media payloads) ----
  m.def("base64_encode", [](py::handle data) {
        return Base64Encode(BytesFromPython(data, "base64_encode(data)"));
      }, py::arg("data"));
  m.def("base64_decode", [](const std::string& text) { return BytesToPython(Unwrap(Base64Decode(text))); },
        py::arg("text"));

  // ---- VAD and turn detection ----
  py::class_<VadOptions>(m, "VadOptions")
      .def(py::init([](double threshold_db, double min_energy_dbfs, double initial_floor_dbfs) {
             return VadOptions{threshold_db, min_energy_dbfs, initial_floor_dbfs};
           }), py::arg("threshold_db") = VadOptions{}.threshold_db,
           py::arg("min_energy_dbfs") = VadOptions{}.min_energy_dbfs,
           py::arg("initial_floor_dbfs") = VadOptions{}.initial_floor_dbfs)
      .def_readwrite("threshold_db", &VadOptions::threshold_db)
      .def_readwrite("min_energy_dbfs", &VadOptions::min_energy_dbfs)
      .def_readwrite("initial_floor_dbfs", &VadOptions::initial_floor_dbfs);
  py::class_<VadResult>(m, "VadResult")
      .def_readonly("speech", &VadResult::speech)
      .def_readonly("energy_dbfs", &VadResult::energy_dbfs)
      .def_readonly("noise_floor_dbfs", &VadResult::noise_floor_dbfs)
      .def("__repr__", [](const VadResult& r) {
        return fmt::format("VadResult(speech={}, energy_dbfs={:.1f}, noise_floor_dbfs={:.1f})",
                           r.speech ? "True" : "False", r.energy_dbfs, r.noise_floor_dbfs);
      });
  py::class_<Vad>(m, "Vad", "Energy voice activity detector; one instance per stream.")
      .def(py::init([](const VadOptions& options) { return Vad::CreateEnergy(options); }),
           py::arg("options") = VadOptions{})
      .def("process", [](Vad& vad, py::handle frame) {
             return vad.Process(SamplesFromPython(frame, "Vad.process(frame)"));
           }, py::arg("frame"), "One frame (e.g. 20 ms) of int16 samples -> VadResult.")
      .def("reset", &Vad::Reset);
  m.def("frame_energy_dbfs", [](py::handle frame) {
        return FrameEnergyDbfs(SamplesFromPython(frame, "frame_energy_dbfs(frame)"));
      }, py::arg("frame"));

  py::enum_<TurnEvent>(m, "TurnEvent")
      .value("NONE", TurnEvent::kNone)
      .value("SPEECH_START", TurnEvent::kSpeechStart)
      .value("SPEECH_END", TurnEvent::kSpeechEnd)
      .value("BARGE_IN", TurnEvent::kBargeIn)
      .value("DISCARDED", TurnEvent::kDiscarded);
  py::class_<TurnOptions>(m, "TurnOptions")
      .def(py::init([](int start_speech_ms, int end_silence_ms, int min_speech_ms, int barge_in_ms,
                       double barge_in_min_snr_db) {
             return TurnOptions{start_speech_ms, end_silence_ms, min_speech_ms, barge_in_ms, barge_in_min_snr_db};
           }), py::arg("start_speech_ms") = TurnOptions{}.start_speech_ms,
           py::arg("end_silence_ms") = TurnOptions{}.end_silence_ms,
           py::arg("min_speech_ms") = TurnOptions{}.min_speech_ms,
           py::arg("barge_in_ms") = TurnOptions{}.barge_in_ms,
           py::arg("barge_in_min_snr_db") = TurnOptions{}.barge_in_min_snr_db)
      .def_readwrite("start_speech_ms", &TurnOptions::start_speech_ms)
      .def_readwrite("end_silence_ms", &TurnOptions::end_silence_ms)
      .def_readwrite("min_speech_ms", &TurnOptions::min_speech_ms)
      .def_readwrite("barge_in_ms", &TurnOptions::barge_in_ms)
      .def_readwrite("barge_in_min_snr_db", &TurnOptions::barge_in_min_snr_db);
  py::class_<TurnDetector>(m, "TurnDetector", "VAD results -> caller turn start/end and barge-in.")
      .def(py::init<const TurnOptions&>(), py::arg("options") = TurnOptions{})
      .def("push", &TurnDetector::Push, py::arg("vad"), py::arg("frame_ms") = kFrameMs,
           py::arg("agent_speaking") = false)
      .def("reset", &TurnDetector::Reset)
      .def_property_readonly("in_speech", &TurnDetector::in_speech)
      .def_property_readonly("now_ms", &TurnDetector::now_ms)
      .def_property_readonly("speech_start_ms", &TurnDetector::speech_start_ms)
      .def_property_readonly("speech_end_ms", &TurnDetector::speech_end_ms);
}

}  // namespace infini::python
