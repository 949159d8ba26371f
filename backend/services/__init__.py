"""Door-to-door services (上门代办): catalogue, requests, visits, reminders, coverage."""
