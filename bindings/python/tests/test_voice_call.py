"""Python providers inside the C++ voice pipeline (VoiceCall): VAD and turn detection in C++
open sessions on a Python recognizer, a failing Python recognizer is skipped by the chain,
and a Python synthesizer speaks the agent's words."""
import os
import unittest

import infini

SOURCE = os.environ.get("INFINI_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
EXAMPLES = os.path.join(SOURCE, "examples")


def setUpModule():
    infini.set_log_level(infini.LogLevel.ERROR)


def tearDownModule():
    infini.set_log_level(infini.LogLevel.INFO)


class FailingRecognizer(infini.Recognizer):
    def __init__(self):
        super().__init__()
        self.starts = 0

    def name(self):
        return "failing"

    def start(self, options, on_transcript):
        self.starts += 1
        raise TimeoutError("no answer from the speech service")


class ForwardingSession(infini.RecognizerSession):
    def __init__(self, inner, log):
        super().__init__()
        self.inner, self.log, self.frames = inner, log, 0

    def push(self, frame):
        self.frames += 1
        self.inner.push(frame)

    def end_turn(self):
        transcript = self.inner.end_turn()
        self.log.append((self.frames, transcript.text))
        self.frames = 0
        return transcript

    def reset(self):
        self.frames = 0
        self.inner.reset()


class ForwardingRecognizer(infini.Recognizer):
    """A Python recognizer that hands the audio to another recognizer (here pocketsphinx),
    recording what each turn pushed and heard: a wrapper a user might write to log or
    post-process transcripts."""

    def __init__(self, inner):
        super().__init__()
        self.inner, self.log, self.options = inner, [], []

    def name(self):
        return "forwarding"

    def start(self, options, on_transcript):
        self.options.append(options)
        return ForwardingSession(self.inner.start(options, on_transcript), self.log)


class SpokenCallTest(unittest.TestCase):
    def test_spoken_booking_through_python_recognizers(self):
        registry = infini.ProviderRegistry()
        failing = FailingRecognizer()
        forwarding = ForwardingRecognizer(registry.make("recognizer", "pocketsphinx"))
        registry.add("recognizer", "failing", lambda config: failing)
        registry.add("recognizer", "forwarding", lambda config: forwarding)
        agent_ears = registry.make("recognizer", ["failing", "forwarding"])
        # The simulated caller is another phone line: its own decoder pool (a different pocketsphinx
        # config key), so its channel estimate is not the one left by the agent's ears or by the
        # recordings earlier test modules decoded in this process (with a shared pool the caller
        # misheard the greeting after test_providers).
        caller_ears = registry.make("recognizer", {"name": "pocketsphinx", "cold_start_pass": False})
        lines = []
        result = infini.run_voice_scenario(
            os.path.join(EXAMPLES, "scenarios", "demo-hvac.json"), os.path.join(EXAMPLES, "businesses"),
            agent_ears, caller_ears, registry.make("synthesizer", "flite"),
            on_line=lines.append)
        transcript = "\n".join(lines)
        self.assertTrue(result.passed, result.failures + [transcript])
        self.assertEqual(result.outcome.outcome, "booked")
        self.assertEqual(result.outcome.appointment.start, "2026-12-09T09:00")
        self.assertGreaterEqual(failing.starts, 1)            # the chain tried it first...
        self.assertGreaterEqual(len(forwarding.log), 4)       # ...then the Python recognizer heard every turn
        self.assertEqual(forwarding.options[0].sample_rate, 16000)
        self.assertIn("air conditioner", forwarding.log[0][1])
        self.assertTrue(all(frames > 10 for frames, _ in forwarding.log))  # real turns of 20 ms frames
        # What the pipeline acted on is exactly what the Python recognizer returned.
        self.assertEqual([t.caller_text for t in result.turns], [text for _, text in forwarding.log][:len(result.turns)])
        self.assertTrue(lines)


class BeepSynthesizer(infini.Synthesizer):
    """Speaks one 20 ms frame of a square wave per word."""

    def __init__(self):
        super().__init__()
        self.spoken = []

    def name(self):
        return "beep"

    def voices(self):
        return ["beep"]

    def start(self, options, on_frame):
        return BeepSession(self, options, on_frame)


class BeepSession(infini.SynthesisSession):
    def __init__(self, synth, options, on_frame):
        super().__init__()
        self.synth, self.options, self.on_frame = synth, options, on_frame

    def push(self, text):
        self.synth.spoken.append(text)
        n = self.options.sample_rate * self.options.frame_ms // 1000
        for _ in text.split():
            self.on_frame(infini.AudioFrame([6000 if (k // 8) % 2 else -6000 for k in range(n)],
                                            sample_rate=self.options.sample_rate))

    def cancel(self):
        pass

    def reset(self):
        pass


class VoiceCallTest(unittest.TestCase):
    def test_python_synthesizer_speaks_the_greeting_and_bad_frames_are_errors(self):
        business = infini.load_business_config(os.path.join(EXAMPLES, "businesses", "hvac.json"))
        conversation = infini.Conversation(business, infini.memory_calendar())
        synth = BeepSynthesizer()
        frames = []
        call = infini.VoiceCall(business, conversation, infini.ProviderRegistry().make("recognizer", "pocketsphinx"),
                                synth, infini.VoiceCallOptions(sample_rate=16000), frames.append)
        call.start()
        self.assertEqual(len(synth.spoken), 1)
        self.assertEqual(synth.spoken[0], business.greeting)
        self.assertEqual(len(frames), len(business.greeting.split()))
        self.assertTrue(all(f.sample_rate == 16000 and len(f) == 320 for f in frames))
        with self.assertRaises(infini.InvalidArgumentError) as ctx:
            call.push_frame(infini.AudioFrame.silence(8000))
        self.assertIn("8000 Hz", str(ctx.exception))
        for _ in range(50):
            call.push_frame(infini.AudioFrame.silence(16000))
        self.assertFalse(call.ended)
        call.hangup()
        self.assertTrue(call.ended)

    def test_speak_on_demand_synthesizes_one_sentence_at_a_time(self):
        business = infini.load_business_config(os.path.join(EXAMPLES, "businesses", "hvac.json"))
        conversation = infini.Conversation(business, infini.memory_calendar())
        synth = BeepSynthesizer()
        frames = []
        options = infini.VoiceCallOptions(sample_rate=16000)
        options.speak_on_demand = True
        call = infini.VoiceCall(business, conversation, infini.ProviderRegistry().make("recognizer", "pocketsphinx"),
                                synth, options, frames.append)
        call.start()
        # "Thanks for calling Polar Bear Heating and Cooling. How can I help you today?"
        self.assertEqual(synth.spoken, ["Thanks for calling Polar Bear Heating and Cooling."])
        self.assertTrue(call.speech_pending)
        call.speak_next()
        self.assertFalse(call.speech_pending)
        self.assertEqual(" ".join(synth.spoken), business.greeting)
        self.assertEqual(len(frames), len(business.greeting.split()))
        call.speak_next()  # nothing pending: nothing happens
        self.assertEqual(len(synth.spoken), 2)


if __name__ == "__main__":
    unittest.main()
