"""The one small engine behind every state machine (events, service requests).

A machine is data: rows of (action, from-states, to-state, who may do it). Who is a set of
relations the caller has to the case ("assignee", "reporter", "dispatcher", "supervisor",
"admin", "department", "system"), computed by the domain; the engine only checks the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from backend.errors import Forbidden, InvalidTransition


@dataclass(frozen=True)
class Rule:
    action: str
    sources: frozenset[str]
    target: str | None  # None: the state does not change (e.g. ESCALATE)
    actors: frozenset[str]


def rule(action: str, sources: Iterable[str], target: str | None, actors: Iterable[str]) -> Rule:
    return Rule(action, frozenset(sources), target, frozenset(actors))


class StateMachine:
    def __init__(self, name: str, rules: Iterable[Rule]) -> None:
        self.name = name
        self.rules = tuple(rules)

    def allowed(self, state: str, relations: frozenset[str] | None = None) -> list[str]:
        """Actions possible from `state` (for these relations, if given), in table order."""
        return [r.action for r in self.rules if state in r.sources
                and (relations is None or r.actors & relations)]

    def apply(self, state: str, action: str, relations: frozenset[str]) -> str:
        """The state after `action`, or INVALID_TRANSITION / FORBIDDEN saying why."""
        matching = [r for r in self.rules if r.action == action]
        if not matching:
            raise InvalidTransition(f"unknown {self.name} action {action}", "action")
        from_here = [r for r in matching if state in r.sources]
        if not from_here:
            allowed = ", ".join(self.allowed(state)) or "none"
            raise InvalidTransition(
                f"cannot {action} a {self.name} that is {state}; allowed from {state}: {allowed}",
                "action")
        for r in from_here:
            if r.actors & relations:
                return r.target or state
        who = " or ".join(sorted(set().union(*(r.actors for r in from_here))))
        raise Forbidden(f"only the {who} may {action} a {self.name} that is {state}")
