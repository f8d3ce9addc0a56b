"""The agent's work on a case: contact log, promises, payment plans, shorter terms, disputes."""
