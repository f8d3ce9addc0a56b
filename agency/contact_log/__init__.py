"""Contact log: contact entries, promises, arrangements, payment-term agreements, calls and SMS."""
