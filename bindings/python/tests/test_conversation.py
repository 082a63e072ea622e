"""The receptionist from Python: a whole booking call turn by turn, with the calendar in
C++ or written in Python, and what a broken Python calendar does to a call."""
import json
import os
import threading
import unittest

import infini

SOURCE = os.environ.get("INFINI_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BUSINESSES = os.path.join(SOURCE, "tests", "data", "businesses")
SCENARIOS = os.path.join(SOURCE, "tests", "data", "scenarios")

# The caller of tests/data/scenarios/salon-blowout-anyone.json, answering in order.
CALLER_TURNS = [
    "Blowout on Friday at 7 p m?",
    "Anyone is fine.",
    "Riley Park",
    "three zero three five five five six six seven seven",
    "Yes, that's right.",
    "No, that's all. Thank you, bye.",
]


def setUpModule():
    infini.set_log_level(infini.LogLevel.ERROR)


def tearDownModule():
    infini.set_log_level(infini.LogLevel.INFO)


def salon():
    return infini.load_business_config(os.path.join(BUSINESSES, "salon.json"))


def call_time(business):
    return infini.local_time_to_utc("2026-12-08T12:30", business.timezone)  # a Tuesday


def run_call(conversation, turns=CALLER_TURNS):
    """Plays the caller's turns; returns everything the agent said."""
    said = [a.text for a in conversation.start() if a.kind == infini.AgentAction.Kind.SAY]
    for turn in turns:
        if conversation.ended:
            break
        said += [a.text for a in conversation.on_utterance(turn) if a.kind == infini.AgentAction.Kind.SAY]
    return said


class RecordingCalendar(infini.Calendar):
    """A Python calendar: keeps bookings in a list, remembers every call and its thread."""

    def __init__(self, existing=()):
        super().__init__()
        self.appointments = list(existing)
        self.calls = []

    def _overlaps(self, a, resource, start, end):
        return not a.cancelled and a.resource == resource and a.start_utc < end and start < a.end_utc

    def list(self, business_id, from_utc, to_utc):
        self.calls.append(("list", threading.get_ident()))
        return [a for a in self.appointments if not a.cancelled and a.start_utc < to_utc and from_utc < a.end_utc]

    def book(self, appt):
        self.calls.append(("book", threading.get_ident()))
        if any(self._overlaps(a, appt.resource, appt.start_utc, appt.end_utc) for a in self.appointments):
            raise infini.AlreadyExistsError(f"{appt.resource} is busy")
        appt.id = appt.id or f"py-{len(self.appointments) + 1}"
        self.appointments.append(appt)
        return appt

    def cancel(self, id):
        raise infini.NotFoundError(id)

    def move(self, id, new_start_utc, new_end_utc, new_resource):
        raise infini.NotFoundError(id)

    def find_by_phone(self, business_id, phone, from_utc):
        return [a for a in self.appointments if a.customer_phone == phone and a.start_utc >= from_utc]


class RecordingMessenger(infini.Messenger):
    def __init__(self):
        super().__init__()
        self.sent = []

    def name(self):
        return "recording"

    def send(self, message):
        self.sent.append(message)
        return f"msg-{len(self.sent)}"


class BookingConversationTest(unittest.TestCase):
    def test_full_booking_into_the_cpp_calendar(self):
        business = salon()
        calendar = infini.memory_calendar()
        conversation = infini.Conversation(business, calendar, infini.outbox_messenger(),
                                           caller_phone="+15125550123", call_id="py-call-1",
                                           now_utc=call_time(business))
        said = run_call(conversation)
        self.assertTrue(conversation.ended)
        outcome = conversation.outcome
        self.assertEqual(outcome.outcome, "booked", "\n".join(said))
        self.assertEqual(outcome.appointment.service, "blowout")
        self.assertEqual(outcome.appointment.start, "2026-12-11T19:00")
        self.assertEqual(outcome.appointment.phone, "+13035556677")
        # The booking is really in the calendar, at the right UTC instant, for the right caller.
        start = infini.local_time_to_utc("2026-12-11T19:00", business.timezone)
        booked = calendar.list("salon", start, start + 60)
        self.assertEqual(len(booked), 1)
        self.assertEqual(booked[0].id, outcome.appointment.id)
        self.assertEqual(booked[0].customer_name, "Riley Park")
        self.assertEqual(booked[0].end_utc - booked[0].start_utc, 45 * 60)  # a blowout is 45 minutes
        self.assertEqual(calendar.find_by_phone("salon", "+13035556677", 0)[0].id, booked[0].id)
        # The end-of-call JSON is the same record.
        record = json.loads(outcome.to_json())
        self.assertEqual(record["outcome"], "booked")
        self.assertEqual(record["appointment"]["start"], "2026-12-11T19:00")
        # The same slot cannot be booked twice through the calendar.
        with self.assertRaises(infini.AlreadyExistsError):
            calendar.book(booked[0].__class__(id="other", business_id="salon", service_id="blowout",
                                              resource=booked[0].resource, start_utc=start, end_utc=start + 600))

    def test_booking_into_a_python_calendar(self):
        business = salon()
        calendar = RecordingCalendar()
        messenger = RecordingMessenger()
        conversation = infini.Conversation(business, calendar, messenger, caller_phone="+15125550123",
                                           now_utc=call_time(business))
        said = run_call(conversation)
        self.assertEqual(conversation.outcome.outcome, "booked", "\n".join(said))
        books = [c for c in calendar.calls if c[0] == "book"]
        self.assertEqual(len(books), 1)
        self.assertIn("list", [c[0] for c in calendar.calls])  # availability was checked first
        appt = calendar.appointments[0]
        self.assertEqual(appt.service_id, "blowout")
        self.assertEqual(appt.start_utc, infini.local_time_to_utc("2026-12-11T19:00", business.timezone))
        self.assertEqual(appt.customer_phone, "+13035556677")
        self.assertIn(appt.resource, business.resources)
        self.assertTrue(appt.id)  # ids are client-generated by the engine (calendar.h)
        self.assertEqual(conversation.outcome.appointment.id, appt.id)
        # The confirmation text went through the Python messenger.
        self.assertEqual(len(messenger.sent), 1)
        self.assertEqual(messenger.sent[0].to, "+13035556677")
        self.assertIn("blowout", messenger.sent[0].body.lower())

    def test_python_calendar_availability_steers_the_booking(self):
        business = salon()
        start = infini.local_time_to_utc("2026-12-11T19:00", business.timezone)
        # Everyone but Jess is busy at Friday 7 pm.
        busy = [infini.Appointment(id=f"busy-{r}", business_id="salon", service_id="haircut", resource=r,
                                   start_utc=start - 900, end_utc=start + 3600) for r in ("Ana", "Marco")]
        calendar = RecordingCalendar(busy)
        conversation = infini.Conversation(business, calendar, None, caller_phone="+15125550123",
                                           now_utc=call_time(business))
        said = run_call(conversation)
        self.assertEqual(conversation.outcome.outcome, "booked", "\n".join(said))
        self.assertEqual(calendar.appointments[-1].resource, "Jess")
        self.assertEqual(conversation.outcome.appointment.resource, "Jess")

    def test_a_raising_python_calendar_does_not_break_the_call(self):
        class BrokenCalendar(RecordingCalendar):
            def book(self, appt):
                self.calls.append(("book", threading.get_ident()))
                raise ValueError("database connection lost")

        business = salon()
        calendar = BrokenCalendar()
        conversation = infini.Conversation(business, calendar, None, caller_phone="+15125550123",
                                           now_utc=call_time(business))
        said = run_call(conversation, CALLER_TURNS[:5])
        self.assertIn("book", [c[0] for c in calendar.calls])
        self.assertNotEqual(conversation.outcome.outcome, "booked")
        self.assertIsNone(conversation.outcome.appointment)
        self.assertFalse(conversation.ended)  # the agent carries on (offers other times)
        self.assertGreater(len(said), 5)
        self.assertTrue(conversation.on_hangup() is not None)
        self.assertTrue(conversation.ended)

    def test_conversation_keeps_its_python_calendar_alive(self):
        business = salon()
        conversation = infini.Conversation(business, RecordingCalendar(), None, caller_phone="+15125550123",
                                           now_utc=call_time(business))
        import gc
        gc.collect()
        said = run_call(conversation)
        self.assertEqual(conversation.outcome.outcome, "booked", "\n".join(said))

    def test_run_conversation_helper(self):
        business = salon()
        calendar = RecordingCalendar()
        outcome, transcript = infini.run_conversation(business, calendar, CALLER_TURNS,
                                                      caller_phone="+15125550123", now_utc=call_time(business))
        self.assertEqual(outcome.outcome, "booked", "\n".join(transcript))
        self.assertEqual(transcript[0], "agent: " + business.greeting)
        self.assertEqual(transcript[1], "caller: " + CALLER_TURNS[0])
        self.assertEqual(infini.outcome_dict(outcome)["appointment"]["resource"], calendar.appointments[0].resource)
        # Turns that run out before the call ends: the caller hangs up, nothing is booked.
        outcome, transcript = infini.run_conversation(business, RecordingCalendar(), CALLER_TURNS[:2],
                                                      now_utc=call_time(business))
        self.assertNotEqual(outcome.outcome, "booked")
        self.assertIsNone(outcome.appointment)

    def test_scenario_file_runs_from_python(self):
        result = infini.run_scenario_file(os.path.join(SCENARIOS, "salon-blowout-anyone.json"), BUSINESSES)
        self.assertTrue(result.passed, result.failures)
        self.assertEqual(result.outcome, "booked")
        self.assertEqual(result.start, "2026-12-11T19:00")


class BusinessConfigTest(unittest.TestCase):
    def test_loads_the_example_templates(self):
        for name in ("salon", "hvac", "dental", "auto"):
            business = infini.load_business_config(os.path.join(SOURCE, "examples", "businesses", name + ".json"))
            self.assertEqual(business.id, name)
            self.assertTrue(business.services)
            self.assertEqual(len(business.hours), 7)
        business = salon()
        self.assertEqual(business.find_service("blowout").minutes, 45)
        self.assertIsNone(business.find_service("tattoo"))
        self.assertEqual(business.hours[1], [])  # closed on Mondays
        self.assertEqual(business.hours[2][0].open_minute, 10 * 60)

    def test_errors_name_the_file_and_field(self):
        with self.assertRaises(infini.NotFoundError) as ctx:
            infini.load_business_config("/nonexistent/biz.json")
        self.assertIn("/nonexistent/biz.json", str(ctx.exception))
        with open(os.path.join(BUSINESSES, "salon.json")) as f:
            config = json.load(f)
        config["services"][1]["minutes"] = "long"
        with self.assertRaises(infini.InvalidArgumentError) as ctx:
            infini.parse_business_config(json.dumps(config), "edited.json")
        self.assertIn("edited.json", str(ctx.exception))
        self.assertIn("services[1].minutes", str(ctx.exception))
        with self.assertRaises(infini.Error):
            infini.parse_business_config("{not json", "broken.json")


def hvac():
    return infini.load_business_config(os.path.join(BUSINESSES, "hvac.json"))


def says(actions):
    return [a.text for a in actions if a.kind == infini.AgentAction.Kind.SAY]


class ReceptionistDepthTest(unittest.TestCase):
    """Issue-10 behaviours reached from Python: keypad, a transfer no one answers, moving an
    appointment, the end-of-call hook, and the scheduling rules of a loaded config."""

    def test_keypad_fills_the_phone_number(self):
        business = hvac()
        calendar = infini.memory_calendar()
        conversation = infini.Conversation(business, calendar, None,
                                           now_utc=infini.local_time_to_utc("2026-12-08T10:15", business.timezone))
        said = says(conversation.start())
        said += says(conversation.on_utterance("I need a tune-up Friday at ten."))
        said += says(conversation.on_utterance("Maria Garcia"))
        for mumble in ("Uh, it's, hmm.", "Mmm, wait."):
            self.assertEqual(conversation.expecting, "phone", "\n".join(said))
            said += says(conversation.on_utterance(mumble))
        self.assertTrue(any("keypad" in s for s in said), "\n".join(said))
        self.assertEqual(conversation.on_dtmf("512555"), [])  # not complete until '#'
        said += says(conversation.on_dtmf("7788#"))
        for answer in ("12 Maple Lane", "Yes.", "No, that's all. Bye."):
            said += says(conversation.on_utterance(answer))
        self.assertTrue(conversation.ended, "\n".join(said))
        outcome = conversation.outcome
        self.assertEqual(outcome.outcome, "booked", "\n".join(said))
        self.assertEqual(outcome.appointment.phone, "+15125557788")
        self.assertEqual(outcome.appointment.start, "2026-12-11T10:00")

    def test_unanswered_transfer_leaves_an_emergency_callback(self):
        business = hvac()
        ended = []
        conversation = infini.Conversation(business, infini.memory_calendar(), None, caller_phone="+15125553030",
                                           now_utc=infini.local_time_to_utc("2026-12-08T11:00", business.timezone),
                                           on_end=lambda outcome: ended.append(outcome.outcome))
        conversation.start()
        said = says(conversation.on_utterance("There's water everywhere, a pipe burst in the kitchen!"))
        if not conversation.ended:
            said += says(conversation.on_utterance("Leo Grant"))
        self.assertTrue(conversation.ended, "\n".join(said))
        self.assertEqual(conversation.outcome.outcome, "transferred")
        self.assertEqual(conversation.outcome.urgency, "emergency")
        said += says(conversation.on_transfer_failed())
        for _ in range(3):
            if conversation.ended:
                break
            answer = "Leo Grant" if conversation.expecting == "name" else "No, that's all. Bye."
            said += says(conversation.on_utterance(answer))
        outcome = conversation.outcome
        self.assertEqual(outcome.outcome, "callback", "\n".join(said))
        self.assertEqual(outcome.callback.urgency, "emergency")
        self.assertEqual(outcome.callback.phone, "+15125553030")
        self.assertTrue(any("no one was able to pick up" in s for s in said), "\n".join(said))
        self.assertEqual(ended[0], "transferred")  # on_end ran for each end, in order
        self.assertEqual(ended[-1], "callback")

    def test_moving_an_appointment_frees_the_old_slot(self):
        business = salon()
        calendar = infini.memory_calendar()
        infini.preload_bookings(json.dumps([{"service": "haircut", "start": "2026-12-10T15:00", "resource": "Ana",
                                             "name": "Lena Park", "phone": "+13035558877"}]), business, calendar)
        conversation = infini.Conversation(business, calendar, infini.outbox_messenger(),
                                           caller_phone="+13035558877", now_utc=call_time(business))
        answers = {"change_or_cancel": "Move it please.", "time": "Saturday at eleven a m", "confirm": "Yes.",
                   "staff_preference": "Anyone is fine."}
        said = says(conversation.start())
        said += says(conversation.on_utterance("Something came up with my appointment on Thursday."))
        for _ in range(8):
            if conversation.ended:
                break
            said += says(conversation.on_utterance(answers.get(conversation.expecting, "No, that's all, bye.")))
        outcome = conversation.outcome
        self.assertEqual(outcome.outcome, "rescheduled", "\n".join(said))
        self.assertEqual(outcome.changed.action, "moved")
        self.assertEqual(outcome.changed.from_, "2026-12-10T15:00")
        self.assertEqual(outcome.changed.to, "2026-12-12T11:00")
        self.assertEqual(outcome.returning_name, "Lena Park")
        old = infini.local_time_to_utc("2026-12-10T15:00", business.timezone)
        new = infini.local_time_to_utc("2026-12-12T11:00", business.timezone)
        self.assertEqual(calendar.list("salon", old, old + 60), [])  # freed
        self.assertEqual(len(calendar.list("salon", new, new + 60)), 1)
        self.assertEqual(outcome.sms[0].to, "+13035558877")  # the change is confirmed by text

    def test_a_raising_on_end_does_not_break_the_call(self):
        business = salon()

        def broken(outcome):
            raise RuntimeError("owner notifier down")

        conversation = infini.Conversation(business, infini.memory_calendar(), None, caller_phone="+15125550123",
                                           now_utc=call_time(business), on_end=broken)
        import sys
        reported = []
        previous_hook, sys.unraisablehook = sys.unraisablehook, reported.append
        try:
            said = run_call(conversation)
        finally:
            sys.unraisablehook = previous_hook
        self.assertEqual([str(r.exc_value) for r in reported], ["owner notifier down"])
        self.assertTrue(conversation.ended)
        self.assertEqual(conversation.outcome.outcome, "booked", "\n".join(said))

    def test_scheduling_rules_are_visible(self):
        business = salon()
        marco = business.find_resource("Marco")
        self.assertEqual(marco.skills, ["color"])
        self.assertIsNone(business.find_resource("Nobody"))
        self.assertEqual(business.find_service("color").eligible, ["Marco"])
        self.assertEqual(business.find_service("color").required_skills, ["color"])
        self.assertEqual([r.name for r in business.resource_rules], business.resources)
        dental = infini.load_business_config(os.path.join(BUSINESSES, "dental.json"))
        self.assertEqual(dental.find_service("whitening").buffer_minutes, 15)
        christmas = [c for c in dental.scheduling.closures if c.covers(2026, 12, 25)]
        self.assertTrue(christmas, [repr(c) for c in dental.scheduling.closures])
        self.assertGreaterEqual(hvac().scheduling.min_notice_minutes, 0)


if __name__ == "__main__":
    unittest.main()
