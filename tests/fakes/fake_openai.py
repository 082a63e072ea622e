#!/usr/bin/python3
"""A FAKE OpenAI-compatible server on 127.0.0.1 for the cloud provider tests.

It is not OpenAI: it speaks the documented wire formats of
  POST /v1/chat/completions  (stream: true -> text/event-stream of chat.completion.chunk
                              objects: role delta, tool_calls deltas split across chunks,
                              finish_reason "tool_calls", a usage-only chunk with
                              choices: [] when stream_options.include_usage, then [DONE])
  POST /v1/audio/speech      (response_format "pcm": raw 24 kHz 16-bit mono little-endian
                              PCM, sent with chunked transfer encoding)
and understands caller words with a few keyword rules, reading the service ids and staff
names from the request's own tool schema (so a wrong schema gives wrong answers).

Prints "PORT <n>" once listening. Faults are chosen by a path prefix, /fault/<mode>/v1/...:
  500          HTTP 500 with an OpenAI-style error body
  close        sends the headers and part of the stream, then closes the socket
  hang         sends the headers and one chunk, then stalls for 30 s
  garbage      200 with a stream whose data lines are not JSON (speech: a JSON error object
               where the PCM should be)
  unknown_tool a tool call to a tool that does not exist
  bad_service  a tool call naming a service id that is not in the schema
  bad_json     tool call arguments that are not valid JSON
  wrong_type   arguments of the wrong JSON types
  text_only    a plain text answer, no tool call
  error_event  200, then an {"error": ...} chunk in the stream
GET /fake/requests returns every request received so far (path, headers, JSON body).
"""
import datetime
import json
import math
import re
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REQUESTS = []
LOCK = threading.Lock()

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}


def understand(body):
    """Keyword understanding of the last user message, using the request's tool schema."""
    messages = body.get("messages", [])
    text = ""
    for m in messages:
        if m.get("role") == "user":
            text = m.get("content", "")
    system = " ".join(m.get("content", "") for m in messages if m.get("role") == "system")
    low = text.lower()
    props = {}
    for tool in body.get("tools", []):
        props = tool.get("function", {}).get("parameters", {}).get("properties", {})
    args = {"intents": []}
    intents = args["intents"]
    if re.search(r"\b(book|appointment|schedule|come out|come by|come tomorrow|need|get a)\b", low):
        intents.append("book")
    if re.search(r"\b(yes|yeah|yep|correct|sounds good|that works|perfect)\b", low):
        intents.append("yes")
    if re.search(r"\b(no|nope|wrong)\b", low):
        intents.append("no")
    if re.search(r"\b(bye|goodbye|that's all|nothing else)\b", low):
        intents.append("goodbye")
    if re.search(r"\b(a person|real person|human|representative|talk to someone)\b", low):
        intents.append("human")
    if re.search(r"\b(message|voicemail)\b", low):
        intents.append("leave_message")
    if "?" in text and not intents:
        intents.append("question")
        args["question"] = text
    # Services: the schema describes them as "id = Name, synonym; ...".
    service = props.get("service", {})
    desc = service.get("description", "")
    for entry in desc.split(":", 1)[-1].split(";"):
        if "=" not in entry:
            continue
        sid, names = entry.split("=", 1)
        sid = sid.strip()
        for name in names.split(","):
            name = name.strip().lower()
            if name and re.search(r"\b" + re.escape(name) + r"\b", low) and sid in service.get("enum", [sid]):
                args["service"] = sid
                break
        if "service" in args:
            break
    for staff in props.get("staff", {}).get("enum", []):
        if staff != "any" and re.search(r"\b" + re.escape(staff.lower()) + r"\b", low):
            args["staff"] = staff
    # Dates relative to the "Now ... is <Weekday> YYYY-MM-DDTHH:MM" the client put in the prompt.
    now = re.search(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})", system)
    if now:
        today = datetime.date(int(now.group(1)), int(now.group(2)), int(now.group(3)))
        if "tomorrow" in low:
            args["date"] = (today + datetime.timedelta(days=1)).isoformat()
        elif "today" in low:
            args["date"] = today.isoformat()
        else:
            for i, day in enumerate(WEEKDAYS):
                if re.search(r"\b" + day + r"\b", low):
                    ahead = (i - today.weekday()) % 7 or 7
                    args["date"] = (today + datetime.timedelta(days=ahead)).isoformat()
    t = re.search(r"\b(?:at )?(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)", low) or \
        re.search(r"\bat (\d{1,2})(?::(\d{2}))?\b", low)
    if t:
        hour, minute = int(t.group(1)), int(t.group(2) or 0)
        ampm = t.group(3) if t.lastindex and t.lastindex >= 3 else None
        if ampm and ampm.startswith("p") and hour < 12:
            hour += 12
        if not ampm and 1 <= hour <= 6:
            hour += 12
        args["time"] = "%02d:%02d" % (hour, minute)
    else:
        w = re.search(r"\bat (" + "|".join(NUMBERS) + r")\b", low)
        if w:
            hour = NUMBERS[w.group(1)]
            args["time"] = "%02d:00" % (hour + 12 if hour <= 6 else hour)
    name = re.search(r"\b(?:my name is|this is|i'm|name's)\s+([A-Za-z]+(?:\s+[A-Za-z]+)?)", text, re.I)
    if name and name.group(1).lower() not in ("calling", "looking", "not"):
        args["name"] = name.group(1).title()
    elif "asked for: name" in system and len(text.split()) <= 3 and not intents:
        args["name"] = text.strip(" .").title()
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 10:
        args["phone"] = digits
    elif re.search(r"(calling from|this number|same number)", low):
        args["phone"] = "caller"
    addr = re.search(r"\b(\d+\s+[A-Za-z]+\s+(?:street|st|avenue|ave|road|rd|drive|dr|lane|ln))\b", text, re.I)
    if addr:
        args["address"] = addr.group(1)
    return args


def sse(handler, obj):
    data = obj if isinstance(obj, str) else json.dumps(obj)
    handler.write_chunk(("data: %s\n\n" % data).encode())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def write_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_chunks(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def start_stream(self, content_type):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def abort(self):
        """Closes the TCP connection without finishing the chunked body."""
        self.wfile.flush()
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.close_connection = True

    def do_GET(self):
        if self.path == "/fake/requests":
            with LOCK:
                data = json.dumps(REQUESTS).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.send_error(404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        mode = "ok"
        path = self.path
        m = re.match(r"^/fault/([a-z_0-9]+)(/.*)$", path)
        if m:
            mode, path = m.group(1), m.group(2)
        mode = self.headers.get("X-Fake-Mode", mode)
        with LOCK:
            REQUESTS.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                             "body": body})
        if body is None:
            return self.json_error(400, "We could not parse the JSON body of your request.")
        if mode == "500":
            return self.json_error(500, "The server had an error while processing your request.")
        if path.split("?")[0] == "/v1/chat/completions":
            return self.chat(body, mode)
        if path.split("?")[0] == "/v1/audio/speech":
            return self.speech(body, mode)
        self.json_error(404, "Invalid URL (POST %s)" % path)

    def json_error(self, status, message):
        data = json.dumps({"error": {"message": message, "type": "server_error" if status >= 500 else
                                     "invalid_request_error", "param": None, "code": None}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # ---------------------------------------------------------------- chat completions
    def chat(self, body, mode):
        if not body.get("stream"):
            return self.json_error(400, "this fake only streams (stream: true)")
        args = understand(body)
        name = "record_caller_turn"
        for tool in body.get("tools", []):
            name = tool.get("function", {}).get("name", name)
        arguments = json.dumps(args)
        if mode == "unknown_tool":
            name = "book_flight"
        elif mode == "bad_service":
            args["service"] = "helicopter_repair"
            args.setdefault("intents", []).append("book")
            arguments = json.dumps(args)
        elif mode == "bad_json":
            arguments = '{"intents": ["book"], "service": '
        elif mode == "wrong_type":
            arguments = json.dumps({"intents": "book", "choice": "the first one"})
        base = {"id": "chatcmpl-fake%d" % len(REQUESTS), "object": "chat.completion.chunk",
                "created": int(time.time()), "model": body.get("model", "fake"), "system_fingerprint": "fp_fake"}

        def chunk(delta, finish=None):
            c = dict(base)
            c["choices"] = [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
            return c

        self.start_stream("text/event-stream; charset=utf-8")
        if mode == "garbage":
            self.write_chunk(b"data: {\"id\": \"chatcmpl-x\", \"choices\": [{\"delta\": \n\n")
            self.write_chunk(b"data: \x00\xff not json at all\n\n")
            self.write_chunk(b"data: [DONE]\n\n")
            return self.end_chunks()
        sse(self, chunk({"role": "assistant", "content": None, "refusal": None}))
        if mode == "hang":
            time.sleep(30)
            return self.abort()
        if mode == "error_event":
            sse(self, {"error": {"message": "The model is overloaded.", "type": "server_error"}})
            return self.end_chunks()
        if mode == "text_only":
            for piece in ["Sure, ", "I can help ", "with that."]:
                sse(self, chunk({"content": piece}))
            sse(self, chunk({}, "stop"))
        else:
            sse(self, chunk({"tool_calls": [{"index": 0, "id": "call_fake1", "type": "function",
                                             "function": {"name": name, "arguments": ""}}]}))
            pieces = [arguments[i:i + 9] for i in range(0, len(arguments), 9)]
            for i, piece in enumerate(pieces):
                if mode == "close" and i == len(pieces) // 2:
                    return self.abort()
                sse(self, chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}))
            sse(self, chunk({}, "tool_calls"))
        if (body.get("stream_options") or {}).get("include_usage"):
            c = dict(base)
            c["choices"] = []
            prompt = max(1, len(json.dumps(body.get("messages", [])) + json.dumps(body.get("tools", []))) // 4)
            completion = max(1, len(arguments) // 4)
            c["usage"] = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
            sse(self, c)
        sse(self, "[DONE]")
        self.end_chunks()

    # ---------------------------------------------------------------- speech
    def speech(self, body, mode):
        text = body.get("input", "")
        if not isinstance(text, str) or not text or body.get("response_format") != "pcm":
            return self.json_error(400, "input must be a non-empty string and response_format 'pcm' here")
        pcm = tone(text, 24000)
        self.start_stream("audio/pcm")
        step = 4800  # 100 ms of 24 kHz 16-bit mono per chunk
        if mode == "garbage":  # an error object where the audio should be
            self.write_chunk(json.dumps({"error": {"message": "upstream failure", "type": "server_error"}}).encode())
            return self.end_chunks()
        for i in range(0, len(pcm), step):
            if mode == "close" and i >= len(pcm) // 3:
                return self.abort()
            if mode == "hang" and i > 0:
                time.sleep(30)
                return self.abort()
            self.write_chunk(pcm[i:i + step])
            if mode == "slow":
                time.sleep(0.05)
        self.end_chunks()


def tone(text, rate):
    """60 ms of audio per character: a 440 Hz tone whose loudness follows the words."""
    samples = []
    n = int(rate * 0.06)
    for ch in text:
        amp = 0 if ch == " " else 8000
        for i in range(n):
            samples.append(int(amp * math.sin(2 * math.pi * 440 * (len(samples)) / rate)))
    return struct.pack("<%dh" % len(samples), *samples)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
