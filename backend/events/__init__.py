"""Events: intake, routing, the case workflow, deadlines, escalation, evaluation."""
