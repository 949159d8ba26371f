"""The GraphQL layer shared by every domain: scalars, Relay plumbing, context, errors."""
