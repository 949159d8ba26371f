"""Auth: users, roles, jurisdiction, passwords and tokens."""
