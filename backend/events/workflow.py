"""The event workflow (after GB/T 30428 digitised city management) as a transition table.

Who: "assignee" (the handler the case is dispatched to), "department" (a clerk of the
department whose queue holds it), "reporter" (who reported it, when not also its handler),
"dispatcher" (a dispatcher of the event's township), "supervisor", "admin", "system" (routing,
the sweeper, a rectification)."""

from backend.workflow import StateMachine, rule

OPEN = ("REPORTED", "DISPATCHED", "ACCEPTED", "IN_PROGRESS", "SUBMITTED", "VERIFIED",
        "RETURNED")
TERMINAL = ("CLOSED", "REJECTED", "MERGED")
CENTRE = ("dispatcher", "supervisor", "admin")

EVENTS = StateMachine("event", [
    rule("DISPATCH", ("REPORTED", "RETURNED", "DISPATCHED", "ACCEPTED"), "DISPATCHED",
         (*CENTRE, "system")),
    rule("ACCEPT", ("DISPATCHED",), "ACCEPTED", ("assignee", "department")),
    rule("RETURN", ("DISPATCHED", "ACCEPTED"), "RETURNED", ("assignee", "department")),
    rule("START", ("ACCEPTED",), "IN_PROGRESS", ("assignee",)),
    rule("SUBMIT_RESULT", ("ACCEPTED", "IN_PROGRESS"), "SUBMITTED", ("assignee",)),
    rule("VERIFY", ("SUBMITTED",), "VERIFIED", ("reporter", *CENTRE)),
    rule("REOPEN", ("SUBMITTED", "VERIFIED"), "IN_PROGRESS", ("reporter", *CENTRE)),
    rule("REOPEN", ("CLOSED",), "IN_PROGRESS", ("system",)),  # rectification (整改)
    rule("CLOSE", ("VERIFIED",), "CLOSED", ("reporter", *CENTRE)),
    rule("REJECT", ("REPORTED", "RETURNED", "DISPATCHED"), "REJECTED", CENTRE),
    rule("ESCALATE", OPEN, None, ("supervisor", "admin", "system")),
    rule("MERGE", ("REPORTED",), "MERGED", ("system",)),
])
