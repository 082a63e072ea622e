"""infini: the libinfini AI phone receptionist library, from Python.

    import infini
    business = infini.load_business_config("examples/businesses/salon.json")
    outcome, transcript = infini.run_conversation(business, infini.memory_calendar(),
                                                  ["A haircut Friday at 3", "Anyone", ...])
    pcm = infini.ulaw_decode(payload)          # numpy int16 array when numpy is installed

Everything but the helpers below is defined by the compiled module ``infini._infini``;
errors are ``infini.Error`` subclasses carrying the C++ message. See docs/python.md.
"""
import json as _json

from ._infini import *  # noqa: F401,F403
from ._infini import AgentAction, Conversation

__version__ = "0.1.0"


def run_conversation(business, calendar, caller_turns, messenger=None, *, caller_phone="",
                     call_id="", now_utc=0):
    """Plays `caller_turns` (strings) into a new Conversation until it ends or they run out
    (then the caller hangs up). Returns (CallOutcome, transcript) where transcript is a list
    of "agent: ..." / "caller: ..." lines."""
    call = Conversation(business, calendar, messenger, caller_phone=caller_phone, call_id=call_id,
                        now_utc=now_utc)
    transcript = []

    def record(actions):
        transcript.extend("agent: " + a.text for a in actions if a.kind == AgentAction.Kind.SAY)

    record(call.start())
    for turn in caller_turns:
        if call.ended:
            break
        transcript.append("caller: " + turn)
        record(call.on_utterance(turn))
    if not call.ended:
        record(call.on_hangup())
    return call.outcome, transcript


def outcome_dict(outcome):
    """A CallOutcome as the plain dict of `infini chat --json` (docs/chat.md)."""
    return _json.loads(outcome.to_json())
