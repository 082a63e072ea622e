"""`infini serve` as a business owner runs it: the process listens, the REST API answers a
token from `infini token create` (and refuses a wrong one), the dashboard's page is served,
the Twilio webhook refuses an unsigned POST, a script saved through the API answers the next
call (a bad one is refused with every error and the old one stays live), the saved script is
still live after a restart, and SIGTERM ends it cleanly."""
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import websockets  # Debian python3-websockets

infini = sys.argv[1]
source = sys.argv[2]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def fetch(url, headers=None, data=None):
    req = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def greeting_of_a_call(port):
    """A native /voice call that hears the greeting and hangs up: the agent's first words."""
    async def run():
        async with websockets.connect(f"ws://127.0.0.1:{port}/voice", max_size=None) as ws:
            await ws.send(json.dumps({"event": "start", "from": "+15125557788", "pacing": "none"}))
            greeting = None
            while True:
                msg = await asyncio.wait_for(ws.recv(), 30)
                if isinstance(msg, bytes):
                    continue
                j = json.loads(msg)
                if j.get("event") == "transcript" and j.get("role") == "agent" and greeting is None:
                    greeting = j["text"]
                    await ws.send(json.dumps({"event": "hangup"}))
                if j.get("event") == "end":
                    return greeting
    return asyncio.run(run())


def start_serve(db, source, env):
    proc = subprocess.Popen([infini, "serve", "--port", "0", "--store", db, "--business",
                             os.path.join(source, "examples", "businesses", "hvac.json")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    port = None
    lines = []
    deadline = time.time() + 60
    while time.time() < deadline and port is None:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        m = re.search(r"listening on http://[\d.]+:(\d+)", line)
        if m:
            port = int(m.group(1))
    return proc, port, lines


def stop_serve(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        rest, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        rest, _ = proc.communicate()
    return rest


with tempfile.TemporaryDirectory() as tmp:
    db = os.path.join(tmp, "infini.db")
    token = subprocess.run([infini, "token", "create", "--db", db, "--role", "owner", "--name", "Pat"],
                           capture_output=True, text=True, check=True).stdout.strip()
    check(token.startswith("inf_"), "token create prints a token")
    env = dict(os.environ, TWILIO_AUTH_TOKEN="t0ken")
    proc, port, lines = start_serve(db, source, env)
    check(port is not None, "serve prints the port it listens on: " + "".join(lines[-3:]))
    if port:
        base = f"http://127.0.0.1:{port}"
        status, body = fetch(base + "/api/v1/calls", {"Authorization": "Bearer " + token})
        check(status == 200 and "calls" in json.loads(body), f"API with the owner's token: {status} {body[:120]}")
        status, _ = fetch(base + "/api/v1/calls", {"Authorization": "Bearer inf_wrong"})
        check(status == 401, f"API with a wrong token: {status}")
        status, body = fetch(base + "/")
        check(status == 200 and "<html" in body.lower(), f"dashboard page at /: {status}")
        status, _ = fetch(base + "/twilio/voice", data=b"CallSid=CA1&From=%2B15125557788")
        check(status == 403, f"unsigned Twilio webhook refused: {status}")

        # The script: saved through the API, it answers the very next call.
        owner = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
        with open(os.path.join(source, "examples", "businesses", "hvac.json")) as f:
            config = json.load(f)
        first = greeting_of_a_call(port)
        check(first is not None and "Polar Bear" in first, f"a call hears the file's greeting: {first!r}")
        config["greeting"] = "Polar Bear, this is the new script speaking. How can I help?"
        req = urllib.request.Request(base + "/api/v1/script", data=json.dumps(config).encode(), headers=owner,
                                     method="PUT")
        with urllib.request.urlopen(req, timeout=10) as r:
            saved = json.loads(r.read().decode())
        check(saved.get("version") == 1 and saved.get("live") is True, f"PUT /script saves version 1: {saved}")
        heard = greeting_of_a_call(port)
        check(heard == config["greeting"], f"the next call hears the new greeting: {heard!r}")
        # A bad script: 422 with every error, and version 1 stays live.
        bad = dict(config, timezone="Mars/Base", sms_consent="sometimes", greeting="not heard")
        req = urllib.request.Request(base + "/api/v1/script", data=json.dumps(bad).encode(), headers=owner,
                                     method="PUT")
        try:
            urllib.request.urlopen(req, timeout=10)
            status, body = 200, "{}"
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read().decode()
        errors = json.loads(body).get("error", {}).get("errors", [])
        paths = sorted(e.get("path") for e in errors)
        check(status == 422 and paths == ["sms_consent", "timezone"], f"a bad script: 422 listing both errors: {status} {body[:300]}")
        heard = greeting_of_a_call(port)
        check(heard == config["greeting"], f"after the refused script the saved one still answers: {heard!r}")
    rest = stop_serve(proc)
    check(proc.returncode == 0, f"SIGTERM ends serve with exit 0 (got {proc.returncode})")
    check("ending live calls" in rest, "serve says it is ending live calls")

    # A restart answers with the script saved through the API, not the file.
    proc, port, lines = start_serve(db, source, env)
    check(port is not None, "serve restarts: " + "".join(lines[-3:]))
    if port:
        check(any("script version 1 from the store" in l for l in lines), "serve says it uses the stored script")
        heard = greeting_of_a_call(port)
        check(heard == config["greeting"], f"after a restart the saved script answers: {heard!r}")
    stop_serve(proc)

# A crash is reported, not silent: the fatal signal and a backtrace on stderr, then the process
# dies by that signal (exit status and core dump unchanged).
crash = subprocess.Popen([infini, "chat", "--business", os.path.join(source, "examples", "businesses", "hvac.json")],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
time.sleep(0.5)
crash.send_signal(signal.SIGSEGV)
_, err = crash.communicate(timeout=30)
check(crash.returncode == -signal.SIGSEGV, f"a crash still dies by its signal (got {crash.returncode})")
check("infini: fatal signal 11, backtrace:" in err and "infini(" in err, f"a crash prints its backtrace: {err[-300:]!r}")


sys.exit(1 if failures else 0)
