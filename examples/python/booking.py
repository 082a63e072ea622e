#!/usr/bin/env python3
"""Book an appointment by text with the infini receptionist, with the calendar in Python.

    PYTHONPATH=build/python python3 examples/python/booking.py            # scripted caller
    PYTHONPATH=build/python python3 examples/python/booking.py -i         # you are the caller
"""
import os
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import infini

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = ["A blowout on Friday at 7 pm please.", "Anyone is fine.", "Riley Park",
          "303 555 6677", "Yes, that's right.", "No, that's all, thanks. Bye."]


class ListCalendar(infini.Calendar):
    """Appointments in a Python list. The engine calls these methods from C++."""

    def __init__(self):
        super().__init__()
        self.appointments = []

    def list(self, business_id, from_utc, to_utc):
        return [a for a in self.appointments if a.start_utc < to_utc and from_utc < a.end_utc]

    def book(self, appt):
        if any(a.resource == appt.resource for a in self.list(appt.business_id, appt.start_utc, appt.end_utc)):
            raise infini.AlreadyExistsError(f"{appt.resource} is already booked then")
        self.appointments.append(appt)
        return appt

    def find_by_phone(self, business_id, phone, from_utc):
        return [a for a in self.appointments if a.customer_phone == phone and a.start_utc >= from_utc]


def main():
    business = infini.load_business_config(os.path.join(HERE, "..", "businesses", "salon.json"))
    calendar = ListCalendar()
    call = infini.Conversation(business, calendar, infini.outbox_messenger(), caller_phone="+15125550123")
    interactive = "-i" in sys.argv[1:]
    turns = iter(SCRIPT)
    actions = call.start()
    while True:
        for action in actions:
            if action.kind == infini.AgentAction.Kind.SAY:
                print("agent: ", action.text)
        if call.ended:
            break
        line = input("you:    ") if interactive else next(turns, None)
        if line is None:
            actions = call.on_hangup()
            continue
        if not interactive:
            print("caller:", line)
        actions = call.on_utterance(line)
    print("outcome:", call.outcome.outcome)
    for appt in calendar.appointments:
        when = datetime.fromtimestamp(appt.start_utc, ZoneInfo(business.timezone))
        print(f"calendar: {appt.service_id} with {appt.resource} for {appt.customer_name}, {when:%a %d %b %H:%M}")


if __name__ == "__main__":
    main()
