"""Tasks: the one inbox of a phone (events, service requests, reminders, inspections)."""
