#!/usr/bin/python3
"""A fake OpenAI-compatible speech-to-text server on 127.0.0.1, for tests. Not OpenAI.

  fake_whisper.py [--api-key KEY]

  POST /v1/audio/transcriptions   multipart/form-data: file (WAV), model, language, prompt,
                                  response_format (json | verbose_json | text), temperature,
                                  timestamp_granularities[]
It cannot hear: it answers with the next transcript queued by the test
(POST /_fake/transcripts {"transcripts": ["..."]}; default "") after checking that the file
is a readable WAV, and spreads the words evenly over the WAV's duration for verbose_json.
Errors use OpenAI's body {"error": {"message", "type", "param", "code"}}.
Faults and request records: see fake_http_common.py.
"""

import argparse
import email.parser
import email.policy
import io
import json
import threading
import wave

from fake_http_common import FakeHandler, serve

ARGS = None
TRANSCRIPTS = []
LOCK = threading.Lock()


def openai_error(message, type_, code=None):
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def parse_multipart(content_type, body):
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    fields, files = {}, {}
    if not msg.is_multipart():
        return None, None
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if part.get_filename() is not None:
            files[name] = part.get_payload(decode=True)
        else:
            fields[name] = part.get_payload(decode=True).decode("utf-8", "replace")
    return fields, files


class WhisperHandler(FakeHandler):
    def do_GET(self):
        self.handle_control(b"")

    def do_POST(self):
        body = self.read_body()
        if self.path == "/_fake/transcripts":
            with LOCK:
                TRANSCRIPTS.extend(json.loads(body).get("transcripts", []))
            self.send_json(200, {"ok": True})
            return
        if self.handle_control(body):
            return
        fault = self.state.next_fault()
        entry = {"method": self.command, "path": self.path, "fault": fault,
                 "authorization": self.headers.get("Authorization", "")}
        fields, files = parse_multipart(self.headers.get("Content-Type", ""), body)
        entry["fields"] = fields or {}
        wav_info = None
        if files and "file" in files:
            try:
                with wave.open(io.BytesIO(files["file"])) as w:
                    wav_info = {"sample_rate": w.getframerate(), "channels": w.getnchannels(),
                                "sample_width": w.getsampwidth(), "frames": w.getnframes()}
            except (wave.Error, EOFError) as e:
                wav_info = {"error": str(e)}
        entry["wav"] = wav_info
        self.state.record(entry)

        if self.apply_transport_fault(fault):
            return
        if fault.startswith("429"):
            retry_after = fault.split(":")[1] if ":" in fault else None
            self.send_json(429, openai_error("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
                           {"Retry-After": retry_after} if retry_after else None)
            return
        if fault == "garbage":
            self.send_text(200, "<!DOCTYPE html><html><body>upstream connect error</body></html>")
            return
        if fault.isdigit():
            self.send_json(int(fault), openai_error("The server had an error while processing your request. "
                                                    "Sorry about that!", "server_error"))
            return
        if self.path != "/v1/audio/transcriptions":
            self.send_json(404, openai_error("Invalid URL (POST %s)" % self.path, "invalid_request_error"))
            return
        if ARGS.api_key and entry["authorization"] != "Bearer " + ARGS.api_key:
            self.send_json(401, openai_error("Incorrect API key provided.", "invalid_request_error",
                                             "invalid_api_key"))
            return
        if fields is None or not wav_info:
            self.send_json(400, openai_error("Could not parse multipart form", "invalid_request_error"))
            return
        if "error" in wav_info:
            self.send_json(400, openai_error("Invalid file format. " + wav_info["error"], "invalid_request_error"))
            return
        if not fields.get("model"):
            self.send_json(400, openai_error("you must provide a model parameter", "invalid_request_error"))
            return
        with LOCK:
            text = TRANSCRIPTS.pop(0) if TRANSCRIPTS else ""
        duration = wav_info["frames"] / float(wav_info["sample_rate"] or 1)
        fmt = fields.get("response_format", "json")
        if fmt == "text":
            self.send_text(200, text + "\n", "text/plain; charset=utf-8")
            return
        if fmt != "verbose_json":
            self.send_json(200, {"text": text})
            return
        words = text.split()
        step = duration / max(1, len(words))
        out = {"task": "transcribe", "language": "english", "duration": round(duration, 3), "text": text,
               "segments": [{"id": 0, "seek": 0, "start": 0.0, "end": round(duration, 3), "text": " " + text,
                             "tokens": [], "temperature": 0.0, "avg_logprob": -0.25,
                             "compression_ratio": 1.2, "no_speech_prob": 0.01}]}
        if fields.get("timestamp_granularities[]") == "word":
            out["words"] = [{"word": w.strip(".,?!"), "start": round(i * step, 3), "end": round((i + 1) * step, 3)}
                            for i, w in enumerate(words)]
        self.send_json(200, out)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--api-key", default="")
    ARGS = p.parse_args()
    serve(WhisperHandler)
