"""infini.Server from Python: the real libwebsockets server on 127.0.0.1, Twilio webhook
signatures checked, a route answered by Python (including one that raises), the REST API
mounted over the server's store."""
import json
import os
import unittest
import urllib.error
import urllib.parse
import urllib.request

import infini

SOURCE = os.environ.get("INFINI_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BUSINESSES = os.path.join(SOURCE, "tests", "data", "businesses")
TOKEN = "test-auth-token"


def post(url, form, headers=None):
    data = urllib.parse.urlencode(form).encode()
    req = urllib.request.Request(url, data=data, headers=headers or {}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def setUpModule():
    infini.set_log_level(infini.LogLevel.ERROR)


def tearDownModule():
    infini.set_log_level(infini.LogLevel.INFO)


class ServerTest(unittest.TestCase):
    def setUp(self):
        os.environ["TWILIO_AUTH_TOKEN"] = TOKEN
        self.addCleanup(os.environ.pop, "TWILIO_AUTH_TOKEN", None)
        self.server = infini.Server({"port": 0, "businesses": [os.path.join(BUSINESSES, "hvac.json")],
                                     "workers": 2})
        self.seen = []

        def hello(request):
            self.seen.append(request)
            if request["path"].endswith("/boom"):
                raise RuntimeError("route exploded")
            return {"status": 201, "body": {"you_said": request["body"].decode(), "path": request["path"]}}

        self.server.mount("/hello", hello)
        self.server.mount_api()
        self.token = self.server.create_api_user("Pat", "owner")
        self.server.start()
        self.addCleanup(self.server.stop)

    def test_twilio_webhook_signature_is_checked(self):
        url = self.server.url + "/twilio/voice"
        form = {"CallSid": "CA123", "From": "+15125557788", "To": "+15125550100"}
        status, body = post(url, form, {"X-Twilio-Signature": infini.twilio_signature(url, form, TOKEN)})
        self.assertEqual(status, 200, body)
        self.assertIn("<Connect><Stream url=\"ws", body)
        self.assertIn("/twilio/stream", body)
        self.assertIn("CA123", body)
        status, body = post(url, form, {"X-Twilio-Signature": infini.twilio_signature(url, form, "wrong")})
        self.assertEqual(status, 403, body)
        status, _ = post(url, form)
        self.assertEqual(status, 403)

    def test_python_route_and_its_errors(self):
        status, body = post(self.server.url + "/hello/there", {"a": "1"})
        self.assertEqual(status, 201, body)
        self.assertEqual(json.loads(body), {"you_said": "a=1", "path": "/hello/there"})
        self.assertEqual(self.seen[-1]["method"], "POST")
        status, body = get(self.server.url + "/hello/boom")
        self.assertEqual(status, 500)
        self.assertIn("route exploded", json.loads(body)["error"]["message"])
        # The server still serves after a Python exception.
        status, _ = get(self.server.url + "/hello/again")
        self.assertEqual(status, 201)
        self.assertGreaterEqual(self.server.stats().http_requests, 3)

    def test_rest_api_over_the_servers_store(self):
        status, body = get(self.server.url + "/api/v1/calls")
        self.assertEqual(status, 401, body)
        self.server.store.start_call(infini.CallRecord(business_id="hvac", from_phone="+15125557788",
                                                       started_utc=1_800_000_000))
        status, body = get(self.server.url + "/api/v1/calls?business_id=hvac",
                           {"Authorization": "Bearer " + self.token})
        self.assertEqual(status, 200, body)
        self.assertIn("+15125557788", body)

    def test_bad_config_names_the_key(self):
        with self.assertRaises(infini.InvalidArgumentError) as ctx:
            infini.Server({"port": "eighty"})
        self.assertIn("port", str(ctx.exception))
        self.assertIn("TWILIO_AUTH_TOKEN", infini.server_config_help())


if __name__ == "__main__":
    unittest.main()
