"""The SQLite store from Python: a booking call recorded in a real database file, the
store's calendar used by the conversation engine, and its errors."""
import os
import tempfile
import threading
import unittest

import infini

SOURCE = os.environ.get("INFINI_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BUSINESSES = os.path.join(SOURCE, "tests", "data", "businesses")
CALLER_TURNS = ["Blowout on Friday at 7 p m?", "Anyone is fine.", "Riley Park",
                "three zero three five five five six six seven seven", "Yes, that's right.",
                "No, that's all. Thank you, bye."]


def setUpModule():
    infini.set_log_level(infini.LogLevel.ERROR)


def tearDownModule():
    infini.set_log_level(infini.LogLevel.INFO)


class StoreTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.path = os.path.join(self.dir.name, "infini.db")

    def test_booking_call_recorded_in_a_database_file(self):
        business = infini.load_business_config(os.path.join(BUSINESSES, "salon.json"))
        now = infini.local_time_to_utc("2026-12-08T12:30", business.timezone)
        store = infini.Store.open(self.path)
        self.assertEqual(store.schema_version, infini.Store.latest_schema_version())
        call_id = store.start_call(infini.CallRecord(business_id="salon", from_phone="+15125550123",
                                                     started_utc=now))
        outcome, transcript = infini.run_conversation(business, store.calendar, CALLER_TURNS,
                                                      caller_phone="+15125550123", now_utc=now)
        self.assertEqual(outcome.outcome, "booked", "\n".join(transcript))
        for i, line in enumerate(transcript):
            speaker, text = line.split(": ", 1)
            store.add_turn(infini.TurnRecord(call_id=call_id, index=i, speaker=speaker, text=text))
        store.add_action(call_id, "book", outcome.to_json())
        store.end_call(call_id, outcome.outcome, "blowout on Friday")
        del store

        # Everything is in the file: open it again.
        store = infini.Store.open(self.path)
        start = infini.local_time_to_utc("2026-12-11T19:00", business.timezone)
        booked = store.calendar.list("salon", start, start + 1)
        self.assertEqual(len(booked), 1)
        self.assertEqual(booked[0].id, outcome.appointment.id)
        self.assertEqual(booked[0].service_id, "blowout")
        self.assertEqual(booked[0].customer_phone, "+13035556677")
        call = store.get_call(call_id)
        self.assertEqual((call.outcome, call.from_phone), ("booked", "+15125550123"))
        self.assertGreater(call.ended_utc, 0)
        turns = store.list_turns(call_id)
        self.assertEqual([f"{t.speaker}: {t.text}" for t in turns], transcript)
        self.assertEqual(store.list_actions(call_id)[0].kind, "book")
        self.assertEqual([c.id for c in store.list_calls(infini.CallFilter(business_id="salon", outcome="booked"))],
                         [call_id])
        self.assertEqual(store.list_calls(infini.CallFilter(outcome="voicemail")), [])

    def test_store_calendar_gives_a_slot_to_exactly_one_of_many_threads(self):
        store = infini.Store.open(self.path)
        calendar = store.calendar
        wins, losses = [], []

        def book(i):
            appt = infini.Appointment(id=f"a{i}", business_id="salon", service_id="haircut", resource="Ana",
                                      start_utc=1_800_000_000, end_utc=1_800_002_700,
                                      customer_phone=f"+1512555{i:04d}")
            try:
                wins.append(calendar.book(appt))
            except infini.AlreadyExistsError as e:
                losses.append(str(e))

        threads = [threading.Thread(target=book, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(wins), 1)
        self.assertEqual(len(losses), 7)
        self.assertEqual(len(calendar.list("salon", 1_800_000_000, 1_800_002_700)), 1)

    def test_outbox_scripts_and_voicemails(self):
        store = infini.Store.open(self.path)
        sms = store.queue_sms("+13035556677", "Booked: blowout Fri 7 PM")
        self.assertEqual([s.id for s in store.list_outbox("queued")], [sms])
        store.mark_sms(sms, "sent")
        self.assertEqual(store.list_outbox("queued"), [])
        self.assertEqual(store.list_outbox("sent")[0].body, "Booked: blowout Fri 7 PM")
        self.assertEqual(store.save_script("salon", '{"id": "salon"}'), 1)
        self.assertEqual(store.save_script("salon", '{"id": "salon", "name": "x"}'), 2)
        self.assertEqual(store.latest_script("salon").version, 2)
        with self.assertRaises(infini.NotFoundError):
            store.latest_script("nobody")
        store.add_voicemail(infini.VoicemailRecord(business_id="salon", caller_name="Dana", message="call me"))
        self.assertEqual(store.list_voicemails("salon")[0].message, "call me")

    def test_organizations_users_and_voice_configs(self):
        store = infini.Store.open(self.path)
        store.add_organization(infini.OrganizationRecord(id="org1", name="Cut & Color"))
        self.assertEqual(store.get_organization("org1").name, "Cut & Color")
        with self.assertRaises(infini.NotFoundError):
            store.get_organization("org2")
        user_id = store.add_user(infini.UserRecord(organization_id="org1", name="Ana", role="owner",
                                                   token_hash="h" * 64))
        self.assertGreater(user_id, 0)
        found = store.find_user_by_token_hash("h" * 64)
        self.assertEqual((found.id, found.name, found.role), (user_id, "Ana", "owner"))
        with self.assertRaises(infini.NotFoundError):
            store.find_user_by_token_hash("nope")
        store.put_voice_config(infini.VoiceConfigRecord(business_id="salon", voice_name="slt",
                                                        tts_provider="flite", options_json="{}"))
        store.put_voice_config(infini.VoiceConfigRecord(business_id="salon", voice_name="kal16",
                                                        tts_provider="flite", options_json="{}"))
        self.assertEqual(store.get_voice_config("salon").voice_name, "kal16")
        # Reopened from the file: what was written is there.
        del store
        again = infini.Store.open(self.path)
        self.assertEqual(again.get_voice_config("salon").voice_name, "kal16")
        self.assertEqual(again.get_organization("org1").name, "Cut & Color")

    def test_recording_link_and_call_count(self):
        store = infini.Store.open(self.path)
        call = store.start_call(infini.CallRecord(business_id="salon", from_phone="+13035556677"))
        store.start_call(infini.CallRecord(business_id="other"))
        store.set_call_recording(call, "https://recordings.example.test/1.wav")
        self.assertEqual(store.get_call(call).recording_url, "https://recordings.example.test/1.wav")
        self.assertEqual(store.count_calls(infini.CallFilter(business_id="salon")), 1)
        with self.assertRaises(infini.NotFoundError):
            store.set_call_recording(call + 100, "x")

    def test_errors(self):
        with open(self.path, "wb") as f:
            f.write(b"this is not a database" * 100)
        with self.assertRaises(infini.CorruptionError) as ctx:
            infini.Store.open(self.path)
        self.assertIn(self.path, str(ctx.exception))
        store = infini.Store.open(":memory:")
        with self.assertRaises(infini.NotFoundError):
            store.get_call(12345)
        with self.assertRaises(infini.InvalidArgumentError):
            infini.CallRecord(caller="x")


if __name__ == "__main__":
    unittest.main()
