"""`infini serve` as a business owner runs it: the process listens, the REST API answers a
token from `infini token create` (and refuses a wrong one), the dashboard's page is served,
the Twilio webhook refuses an unsigned POST, and SIGTERM ends it cleanly."""
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


with tempfile.TemporaryDirectory() as tmp:
    db = os.path.join(tmp, "infini.db")
    token = subprocess.run([infini, "token", "create", "--db", db, "--role", "owner", "--name", "Pat"],
                           capture_output=True, text=True, check=True).stdout.strip()
    check(token.startswith("inf_"), "token create prints a token")
    env = dict(os.environ, TWILIO_AUTH_TOKEN="t0ken")
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
    proc.send_signal(signal.SIGTERM)
    try:
        rest, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        rest, _ = proc.communicate()
    check(proc.returncode == 0, f"SIGTERM ends serve with exit 0 (got {proc.returncode})")
    check("ending live calls" in rest, "serve says it is ending live calls")


sys.exit(1 if failures else 0)
