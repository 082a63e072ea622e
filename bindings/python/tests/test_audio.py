"""Audio utilities from Python: G.711 against the reference decoding formula, WAV round
trips through real files, resampling length and frequency, input types and their errors."""
import array
import os
import tempfile
import unittest

import infini

try:
    import numpy as np
except ImportError:  # the bindings work without numpy; these tests need it
    np = None


def reference_ulaw_decode(code):
    """ITU-T G.711 mu-law expansion, written out independently of libinfini."""
    c = ~code & 0xFF
    t = (((c & 0x0F) << 3) + 0x84) << ((c & 0x70) >> 4)
    return 0x84 - t if c & 0x80 else t - 0x84


def tone(freq_hz, rate, seconds, amplitude=12000):
    t = np.arange(int(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.int16)


def dominant_frequency(samples, rate):
    x = np.asarray(samples, dtype=np.float64)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return np.argmax(spectrum) * rate / len(x)


@unittest.skipIf(np is None, "numpy is not installed")
class G711Test(unittest.TestCase):
    def test_decode_matches_reference_for_every_code(self):
        codes = bytes(range(256))
        decoded = infini.ulaw_decode(codes)
        self.assertIsInstance(decoded, np.ndarray)
        self.assertEqual(decoded.dtype, np.int16)
        expected = np.array([reference_ulaw_decode(c) for c in range(256)], dtype=np.int16)
        np.testing.assert_array_equal(decoded, expected)

    def test_codes_round_trip(self):
        levels = infini.ulaw_decode(bytes(range(256)))
        again = infini.ulaw_encode(levels)
        self.assertIsInstance(again, bytes)
        # 0x7F is mu-law "negative zero": it decodes to 0, which encodes as 0xFF.
        for code in range(256):
            if code != 0x7F:
                self.assertEqual(again[code], code, f"code {code:#x}")

    def test_every_sample_quantizes_to_a_bracketing_level(self):
        pcm = np.arange(-32768, 32768, dtype=np.int64)
        decoded = infini.ulaw_decode(infini.ulaw_encode(pcm.astype(np.int16))).astype(np.int64)
        levels = np.unique(infini.ulaw_decode(bytes(range(256))).astype(np.int64))
        # A quantizer is monotone...
        self.assertTrue(np.all(np.diff(decoded) >= 0))
        # ...maps every input inside the range to one of the two levels around it...
        inside = (pcm >= levels[0]) & (pcm <= levels[-1])
        idx = np.searchsorted(levels, pcm[inside])
        below = levels[np.maximum(idx - 1, 0)]
        above = levels[np.minimum(idx, len(levels) - 1)]
        got = decoded[inside]
        self.assertTrue(np.all((got == below) | (got == above)))
        # ...and clips what lies beyond the largest level.
        self.assertTrue(np.all(decoded[pcm > levels[-1]] == levels[-1]))
        self.assertTrue(np.all(decoded[pcm < levels[0]] == levels[0]))

    def test_bytes_array_and_list_inputs_agree(self):
        pcm = tone(440, 8000, 0.1)
        from_numpy = infini.ulaw_encode(pcm)
        self.assertEqual(infini.ulaw_encode(pcm.tobytes()), from_numpy)
        self.assertEqual(infini.ulaw_encode(array.array("h", pcm.tolist())), from_numpy)
        self.assertEqual(infini.ulaw_encode(pcm.tolist()), from_numpy)
        self.assertEqual(infini.ulaw_encode(pcm[::2]), infini.ulaw_encode(pcm[::2].copy()))

    def test_alaw_round_trip_error_is_bounded(self):
        pcm = tone(1000, 8000, 0.2)
        back = infini.alaw_decode(infini.alaw_encode(pcm)).astype(np.int64)
        err = np.abs(back - pcm.astype(np.int64))
        self.assertLessEqual(err.max(), 512)  # largest A-law step is 1024
        self.assertLess(np.mean(err), 100)

    def test_bad_inputs_raise_invalid_argument(self):
        with self.assertRaises(infini.InvalidArgumentError) as ctx:
            infini.ulaw_encode(b"\x00\x01\x02")
        self.assertIn("even length", str(ctx.exception))
        with self.assertRaises(infini.InvalidArgumentError) as ctx:
            infini.ulaw_encode(np.zeros(10, dtype=np.float32))
        self.assertIn("format", str(ctx.exception))
        with self.assertRaises(ValueError):  # InvalidArgumentError is a ValueError
            infini.ulaw_encode([1, 2, 70000])
        with self.assertRaises(infini.InvalidArgumentError):
            infini.ulaw_decode("not bytes")


@unittest.skipIf(np is None, "numpy is not installed")
class WavTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def test_pcm16_file_round_trip(self):
        pcm = tone(300, 16000, 0.5)
        infini.write_wav(self.path("a.wav"), infini.AudioFrame(pcm, sample_rate=16000))
        frame = infini.read_wav(self.path("a.wav"))
        self.assertEqual(frame.sample_rate, 16000)
        self.assertEqual(frame.channels, 1)
        self.assertEqual(frame.duration_ms, 500)
        np.testing.assert_array_equal(frame.samples, pcm)
        with open(self.path("a.wav"), "rb") as f:
            raw = f.read()
        self.assertEqual(raw[:4], b"RIFF")
        self.assertEqual(len(raw), 44 + 2 * len(pcm))

    def test_mulaw_file_is_g711(self):
        pcm = tone(700, 8000, 0.25)
        infini.write_wav(self.path("u.wav"), infini.AudioFrame(pcm, sample_rate=8000), encoding="mulaw")
        frame = infini.read_wav(self.path("u.wav"))
        np.testing.assert_array_equal(frame.samples, infini.ulaw_decode(infini.ulaw_encode(pcm)))
        with open(self.path("u.wav"), "rb") as f:
            raw = f.read()
        self.assertIn(infini.ulaw_encode(pcm), raw)  # one byte per sample, as G.711

    def test_stereo_bytes_round_trip(self):
        left, right = tone(200, 8000, 0.1), tone(900, 8000, 0.1)
        stereo = np.stack([left, right], axis=1).reshape(-1)
        data = infini.encode_wav(infini.AudioFrame(stereo, sample_rate=8000, channels=2))
        frame = infini.parse_wav(data)
        self.assertEqual(frame.channels, 2)
        self.assertEqual(frame.sample_count, len(left))
        np.testing.assert_array_equal(np.asarray(frame.samples)[1::2], right)

    def test_truncated_and_missing_files_are_errors(self):
        data = infini.encode_wav(infini.AudioFrame(tone(300, 8000, 0.1), sample_rate=8000))
        with self.assertRaises(infini.CorruptionError) as ctx:
            infini.parse_wav(data[:30], "cut.wav")
        self.assertIn("cut.wav", str(ctx.exception))
        self.assertEqual(ctx.exception.code, "corruption")
        with self.assertRaises(infini.Error) as ctx:
            infini.read_wav(self.path("missing.wav"))
        self.assertIn("missing.wav", str(ctx.exception))
        with self.assertRaises(infini.InvalidArgumentError):
            infini.encode_wav(infini.AudioFrame(tone(300, 8000, 0.1), 8000), encoding="mp3")


@unittest.skipIf(np is None, "numpy is not installed")
class ResampleTest(unittest.TestCase):
    def test_length_and_frequency_8k_to_16k(self):
        pcm = tone(1000, 8000, 1.0)
        out = infini.resample(pcm, 8000, 16000)
        self.assertEqual(out.dtype, np.int16)
        self.assertLessEqual(abs(len(out) - 16000), 16)
        self.assertAlmostEqual(dominant_frequency(out, 16000), 1000, delta=2)
        # Power is kept: the tone's RMS barely changes.
        rms_in = np.sqrt(np.mean(pcm.astype(np.float64) ** 2))
        rms_out = np.sqrt(np.mean(out[200:-200].astype(np.float64) ** 2))
        self.assertAlmostEqual(rms_out / rms_in, 1.0, delta=0.05)

    def test_downsampling_48k_to_8k_removes_what_8k_cannot_carry(self):
        pcm = (tone(500, 48000, 1.0, 8000).astype(np.int32) + tone(6000, 48000, 1.0, 8000)).astype(np.int16)
        out = infini.resample(pcm, 48000, 8000, quality="high")
        self.assertLessEqual(abs(len(out) - 8000), 8)
        self.assertAlmostEqual(dominant_frequency(out, 8000), 500, delta=2)
        # 6 kHz is above the 4 kHz Nyquist limit: it must not alias into the band.
        spectrum = np.abs(np.fft.rfft(out.astype(np.float64) * np.hanning(len(out))))
        alias_bin = int(round(2000 * len(out) / 8000))  # 6 kHz would fold onto 2 kHz
        self.assertLess(spectrum[alias_bin - 3:alias_bin + 4].max(), spectrum.max() / 100)

    def test_streaming_in_frames_matches_one_shot(self):
        pcm = tone(440, 8000, 0.5)
        r = infini.Resampler(8000, 16000)
        pieces = [r.process(pcm[i:i + 160]) for i in range(0, len(pcm), 160)]
        pieces.append(r.flush())
        streamed = np.concatenate(pieces)
        one_shot = infini.resample(pcm, 8000, 16000)
        self.assertEqual(len(streamed), len(one_shot))
        self.assertLessEqual(np.abs(streamed.astype(np.int32) - one_shot).max(), 2)

    def test_unsupported_rate_names_it(self):
        with self.assertRaises(infini.InvalidArgumentError) as ctx:
            infini.Resampler(8000, 11025)
        self.assertIn("11025", str(ctx.exception))
        with self.assertRaises(infini.InvalidArgumentError):
            infini.resample(tone(440, 8000, 0.1), 8000, 16000, backend="nope")


@unittest.skipIf(np is None, "numpy is not installed")
class VadTest(unittest.TestCase):
    def test_tone_is_speech_and_silence_is_not(self):
        vad = infini.Vad()
        silence = np.zeros(320, dtype=np.int16)
        for _ in range(20):
            self.assertFalse(vad.process(silence).speech)
        loud = tone(300, 16000, 0.02, 8000)
        result = vad.process(loud)
        self.assertTrue(result.speech)
        self.assertGreater(result.energy_dbfs, -20)
        self.assertAlmostEqual(infini.frame_energy_dbfs(loud), 20 * np.log10(8000 / np.sqrt(2) / 32768), delta=0.5)


class WithoutNumpyTest(unittest.TestCase):
    def test_samples_are_array_h_when_numpy_is_missing(self):
        # A fresh interpreter where `import numpy` fails, as on a machine without python3-numpy.
        code = (
            "import sys, array; sys.modules['numpy'] = None\n"
            "import infini\n"
            "pcm = infini.ulaw_decode(bytes(range(256)))\n"
            "assert isinstance(pcm, array.array) and pcm.typecode == 'h', type(pcm)\n"
            "assert infini.ulaw_encode(pcm)[:0x7F] == bytes(range(0x7F))\n"
            "out = infini.resample(array.array('h', [0] * 1600), 8000, 16000)\n"
            "assert isinstance(out, array.array) and abs(len(out) - 3200) <= 16, len(out)\n"
            "print('ok')\n")
        import subprocess
        import sys
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(), "ok")


class Base64Test(unittest.TestCase):
    def test_round_trip_and_error(self):
        data = bytes(range(256))
        text = infini.base64_encode(data)
        import base64
        self.assertEqual(text, base64.b64encode(data).decode())
        self.assertEqual(infini.base64_decode(text), data)
        with self.assertRaises(infini.CorruptionError):
            infini.base64_decode("ab$d")


if __name__ == "__main__":
    unittest.main()
