"""Providers written in Python, called from the C++ pipeline: registered by name, chained
with the embedded ones (pocketsphinx, flite), and failing without taking anything down."""
import os
import threading
import unittest

import infini
from infini._infini import _testing

try:
    import numpy as np
except ImportError:
    np = None



def setUpModule():
    infini.set_log_level(infini.LogLevel.ERROR)  # the chains log each fallback at WARN


def tearDownModule():
    infini.set_log_level(infini.LogLevel.INFO)


SPEECH = "/usr/share/pocketsphinx/test/data/goforward.raw"  # "go forward ten meters", 16 kHz


def speech_frame():
    with open(SPEECH, "rb") as f:
        return infini.AudioFrame(f.read(), sample_rate=16000)


class FailingRecognizer(infini.Recognizer):
    """A network recognizer whose service is down."""

    def __init__(self):
        super().__init__()
        self.starts = 0

    def name(self):
        return "failing"

    def start(self, options, on_transcript):
        self.starts += 1
        raise ConnectionError("service unreachable")


class CountingSession(infini.RecognizerSession):
    def __init__(self, on_transcript, fail_after=None):
        super().__init__()
        self.samples = 0
        self.pushes = 0
        self.threads = set()
        self.fail_after = fail_after
        self.on_transcript = on_transcript

    def push(self, frame):
        self.threads.add(threading.get_ident())
        self.pushes += 1
        if self.fail_after is not None and self.pushes > self.fail_after:
            raise RuntimeError(f"socket closed after {self.fail_after} frames")
        self.samples += len(frame)
        self.on_transcript(infini.Transcript(text="partial", is_final=False))

    def end_turn(self):
        return infini.Transcript(text=f"{self.samples} samples", is_final=True, source="python")

    def reset(self):
        self.samples = 0


class CountingRecognizer(infini.Recognizer):
    """'Recognizes' how many samples it heard: its answer depends on what C++ pushed."""

    def __init__(self, fail_after=None):
        super().__init__()
        self.fail_after = fail_after
        self.sessions = []

    def name(self):
        return "counting"

    def start(self, options, on_transcript):
        session = CountingSession(on_transcript, self.fail_after)
        self.sessions.append(session)
        return session


@unittest.skipUnless(os.path.exists(SPEECH), "pocketsphinx test data is not installed")
class PythonRecognizerTest(unittest.TestCase):
    def setUp(self):
        self.registry = infini.ProviderRegistry()

    def test_python_recognizer_is_driven_from_a_cpp_thread(self):
        rec = CountingRecognizer()
        self.registry.add("recognizer", "counting", lambda config: rec)
        made = self.registry.make("recognizer", "counting")
        audio = speech_frame()
        transcript = _testing.recognize_from_cpp_thread(made, audio)
        self.assertEqual(transcript.text, f"{len(audio)} samples")
        self.assertTrue(transcript.is_final)
        session = rec.sessions[0]
        self.assertEqual(session.pushes, -(-len(audio) // 320))  # 20 ms frames at 16 kHz
        self.assertNotIn(threading.get_ident(), session.threads)

    def test_raising_recognizer_falls_back_to_pocketsphinx(self):
        failing = FailingRecognizer()
        self.registry.add("recognizer", "failing", lambda config: failing)
        chain = self.registry.make("recognizer", ["failing", "pocketsphinx"])
        self.assertEqual(chain.name(), "failing>pocketsphinx")
        transcript = _testing.recognize_from_cpp_thread(chain, speech_frame())
        self.assertEqual(failing.starts, 1)
        self.assertIn("forward", transcript.text)
        self.assertTrue(transcript.source.startswith("pocketsphinx"))

    def test_recognizer_failing_mid_turn_is_replaced_with_the_audio_replayed(self):
        flaky = CountingRecognizer(fail_after=10)
        self.registry.add("recognizer", "flaky", lambda config: flaky)
        chain = self.registry.make("recognizer", ["flaky", "pocketsphinx"])
        transcript = _testing.recognize_from_cpp_thread(chain, speech_frame())
        self.assertEqual(flaky.sessions[0].pushes, 11)  # the 11th push raised
        self.assertIn("forward", transcript.text)  # pocketsphinx heard the whole turn

    def test_raising_recognizer_alone_is_an_error_not_a_crash(self):
        self.registry.add("recognizer", "failing", lambda config: FailingRecognizer())
        alone = self.registry.make("recognizer", "failing")
        with self.assertRaises(infini.UnavailableError) as ctx:
            _testing.recognize_from_cpp_thread(alone, speech_frame())
        self.assertIn("FailingRecognizer.start() raised ConnectionError: service unreachable", str(ctx.exception))

    def test_cpp_recognizer_from_python_with_python_callback(self):
        rec = self.registry.make("recognizer", "pocketsphinx")
        seen = []
        session = rec.start(infini.RecognizerOptions(sample_rate=16000), seen.append)
        audio = speech_frame()
        samples = audio.pcm_bytes()
        for i in range(0, len(samples), 640):
            session.push(infini.AudioFrame(samples[i:i + 640], sample_rate=16000))
        final = session.end_turn()
        self.assertIn("forward", final.text)
        self.assertTrue(any(t.is_final for t in seen))
        with self.assertRaises(infini.InvalidArgumentError):
            session.push(infini.AudioFrame(samples[:320], sample_rate=8000))


class ToneSynthesizer(infini.Synthesizer):
    """Speaks every character as one 20 ms frame of a 440 Hz tone."""

    def name(self):
        return "tone"

    def voices(self):
        return ["beep"]

    def start(self, options, on_frame):
        return ToneSession(options, on_frame)


class ToneSession(infini.SynthesisSession):
    def __init__(self, options, on_frame):
        super().__init__()
        self.options, self.on_frame = options, on_frame

    def push(self, text):
        n = self.options.sample_rate * self.options.frame_ms // 1000
        for i, _ in enumerate(text):
            frame = [int(8000 * ((k % 20) < 10) - 4000) for k in range(n)]
            self.on_frame(infini.AudioFrame(frame, sample_rate=self.options.sample_rate, timestamp_ms=20 * i))

    def cancel(self):
        pass

    def reset(self):
        pass


class BrokenSynthesizer(infini.Synthesizer):
    def name(self):
        return "broken"

    def voices(self):
        return []

    def start(self, options, on_frame):
        return BrokenSession()


class BrokenSession(infini.SynthesisSession):
    def push(self, text):
        raise ValueError("quota exceeded")


class PythonSynthesizerTest(unittest.TestCase):
    def test_python_synthesizer_through_the_streaming_interface(self):
        registry = infini.ProviderRegistry()
        registry.add("synthesizer", "tone", lambda config: ToneSynthesizer())
        synth = registry.make("synthesizer", "tone")
        self.assertEqual(synth.voices(), ["beep"])
        audio = infini.synthesize(synth, "hello", infini.SynthesisOptions(sample_rate=8000))
        self.assertEqual(len(audio), 5 * 160)
        self.assertEqual(audio.sample_rate, 8000)

    def test_raising_synthesizer_falls_back_to_flite(self):
        registry = infini.ProviderRegistry()
        registry.add("synthesizer", "broken", lambda config: BrokenSynthesizer())
        chain = registry.make("synthesizer", ["broken", "flite"])
        audio = infini.synthesize(chain, "Thanks for calling.", infini.SynthesisOptions(sample_rate=16000))
        self.assertGreater(audio.duration_ms, 500)  # flite spoke the sentence
        self.assertGreater(infini.frame_energy_dbfs(audio.samples), -40)
        alone = registry.make("synthesizer", "broken")
        with self.assertRaises(infini.UnavailableError) as ctx:
            infini.synthesize(alone, "Thanks for calling.")
        self.assertIn("ValueError: quota exceeded", str(ctx.exception))


class CppSynthesizerFromPythonTest(unittest.TestCase):
    def test_flite_frames_reach_a_python_callback(self):
        flite = infini.ProviderRegistry().make("synthesizer", "flite")
        frames = []
        session = flite.start(infini.SynthesisOptions(sample_rate=8000), frames.append)
        session.push("Your appointment is booked.")
        self.assertGreater(len(frames), 25)  # > 0.5 s of speech
        self.assertTrue(all(len(f) == 160 and f.sample_rate == 8000 for f in frames))
        self.assertEqual([f.timestamp_ms for f in frames[:3]], [0, 20, 40])

    def test_a_raising_callback_is_logged_not_thrown_into_cpp(self):
        flite = infini.ProviderRegistry().make("synthesizer", "flite")
        calls = []

        def on_frame(frame):
            calls.append(frame)
            raise RuntimeError("consumer went away")

        session = flite.start(infini.SynthesisOptions(sample_rate=8000), on_frame)
        infini.set_log_level(infini.LogLevel.OFF)  # each dropped exception is logged at ERROR
        try:
            session.push("Hello.")  # no exception escapes; flite kept delivering frames
        finally:
            infini.set_log_level(infini.LogLevel.ERROR)
        self.assertGreater(len(calls), 5)


class KeywordModel(infini.LanguageModel):
    def name(self):
        return "keywords"

    def understand(self, utterance, context):
        if "book" in utterance:
            return infini.Understanding(intent="book", confidence=0.9, slots={"service": "haircut"})
        if "explode" in utterance:
            raise KeyError(utterance)
        if "nonsense" in utterance:
            raise infini.InvalidArgumentError("cannot parse " + utterance)
        return infini.Understanding(intent="unknown")


class PythonLanguageModelTest(unittest.TestCase):
    def test_understands_from_a_cpp_thread_and_errors_become_statuses(self):
        registry = infini.ProviderRegistry()
        registry.add("language_model", "keywords", lambda config: KeywordModel())
        lm = registry.make("language_model", {"name": "keywords"})
        u = _testing.understand_from_cpp_thread(lm, "I want to book a haircut")
        self.assertEqual(u.intent, "book")
        self.assertEqual(u.slots, {"service": "haircut"})
        with self.assertRaises(infini.UnavailableError) as ctx:
            _testing.understand_from_cpp_thread(lm, "explode")
        self.assertIn("KeywordModel.understand() raised KeyError", str(ctx.exception))
        with self.assertRaises(infini.InvalidArgumentError) as ctx:
            _testing.understand_from_cpp_thread(lm, "nonsense words")
        self.assertIn("cannot parse nonsense words", str(ctx.exception))


class RegistryTest(unittest.TestCase):
    def test_config_reaches_the_python_factory(self):
        registry = infini.ProviderRegistry(builtin=False)
        seen = []

        def factory(config):
            seen.append(config)
            return KeywordModel()

        registry.add("language_model", "keywords", factory)
        registry.make("language_model", {"name": "keywords", "threshold": 0.5, "words": ["a", "b"], "deep": {"x": None}})
        self.assertEqual(seen, [{"name": "keywords", "threshold": 0.5, "words": ["a", "b"], "deep": {"x": None}}])

    def test_errors_name_what_is_wrong(self):
        registry = infini.ProviderRegistry()
        self.assertIn("pocketsphinx", registry.names("recognizer"))
        with self.assertRaises(infini.NotFoundError) as ctx:
            registry.make("recognizer", "deepgramm")
        self.assertIn("deepgramm", str(ctx.exception))
        self.assertIn("pocketsphinx", str(ctx.exception))
        with self.assertRaises(infini.InvalidArgumentError):
            registry.make("teleporter", "x")
        with self.assertRaises(infini.InvalidArgumentError):
            registry.make("recognizer", {"name": object()})
        registry.add("recognizer", "wrong", lambda config: "not a recognizer")
        with self.assertRaises(infini.UnavailableError) as ctx:
            registry.make("recognizer", "wrong")
        self.assertIn("returned a str, expected an infini.Recognizer", str(ctx.exception))

        def raising_factory(config):
            raise RuntimeError("no API key")

        registry.add("recognizer", "keyless", raising_factory)
        with self.assertRaises(infini.UnavailableError) as ctx:
            registry.make("recognizer", ["keyless", "wrong"])
        self.assertIn("no API key", str(ctx.exception))
        # A member that cannot be built is skipped when another can.
        chain = registry.make("recognizer", ["keyless", "pocketsphinx"])
        self.assertIn("pocketsphinx", chain.name())


if __name__ == "__main__":
    unittest.main()
