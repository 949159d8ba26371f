"""The service-request lifecycle (上门代办) as a transition table for the one engine
(backend/workflow.py).

REQUESTED → ASSIGNED → SCHEDULED → VISITED → SUBMITTED → APPROVED | REJECTED → DELIVERED →
CLOSED, and CANCELLED before the visit. Who: "assignee" (the agent the request is assigned
to), "department" (a clerk of the item's department), "requester" (who made it, when not its
agent), "dispatcher" (of the request's township), "supervisor", "admin", "system" (routing,
the sweeper)."""

from backend.workflow import StateMachine, rule

STATUSES = ("REQUESTED", "ASSIGNED", "SCHEDULED", "VISITED", "SUBMITTED", "APPROVED",
            "REJECTED", "DELIVERED", "CLOSED", "CANCELLED")
# the time limit runs until the result is delivered home
OPEN = ("REQUESTED", "ASSIGNED", "SCHEDULED", "VISITED", "SUBMITTED", "APPROVED", "REJECTED")
CENTRE = ("dispatcher", "supervisor", "admin")

SERVICES = StateMachine("service request", [
    rule("ASSIGN", ("REQUESTED",), "ASSIGNED", (*CENTRE, "system")),
    rule("SCHEDULE", ("ASSIGNED", "SCHEDULED"), "SCHEDULED", ("assignee",)),
    # only through checkInVisit: a visit is its check-in
    rule("VISIT", ("ASSIGNED", "SCHEDULED", "VISITED"), "VISITED", ("assignee",)),
    rule("SUBMIT", ("VISITED",), "SUBMITTED", ("assignee",)),
    rule("APPROVE", ("SUBMITTED",), "APPROVED", ("department",)),
    rule("REJECT", ("SUBMITTED",), "REJECTED", ("department",)),
    rule("DELIVER", ("APPROVED", "REJECTED"), "DELIVERED", ("assignee",)),
    rule("CLOSE", ("DELIVERED",), "CLOSED", ("assignee", *CENTRE)),
    rule("CANCEL", ("REQUESTED", "ASSIGNED", "SCHEDULED"), "CANCELLED",
         ("requester", *CENTRE)),
    rule("REASSIGN", ("ASSIGNED", "SCHEDULED", "VISITED", "SUBMITTED", "APPROVED", "REJECTED"),
         None, CENTRE),
    rule("ESCALATE", OPEN, None, ("supervisor", "admin", "system")),
])
ACTIONS = tuple(dict.fromkeys(r.action for r in SERVICES.rules))
# what transitionServiceRequest takes; ASSIGN/VISIT/REASSIGN come through their own paths
# (routing, checkInVisit, assignTask) but ASSIGN is also open to a dispatcher for a request
# that waited in the township queue
API_ACTIONS = ("ASSIGN", "SCHEDULE", "SUBMIT", "APPROVE", "REJECT", "DELIVER", "CLOSE",
               "CANCEL", "ESCALATE")
