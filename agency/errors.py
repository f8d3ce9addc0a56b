"""The error family raised by operations; views turn these into messages."""


class AgencyError(Exception):
    """Root of every error an operation raises on purpose."""


class IllegalTransition(AgencyError):
    """A case was asked to move to a status its current status does not allow."""

    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"a case cannot go from {current!r} to {target!r}")
        self.current = current
        self.target = target


class LedgerError(AgencyError):
    """A ledger booking breaks a rule of the ledger (sign, case, allocation)."""


class LoginRefused(AgencyError):
    """Wrong credentials, an inactive account or a temporary lock."""


class ConfigurationError(AgencyError):
    """A required setting is missing or malformed."""
