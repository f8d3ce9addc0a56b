"""The built-in sandbox: a page of our own where the tester decides how the payment ends.

For the embedded mode and demos. The page settles through the same path as the providers'
webhooks. Where to send the debtor afterwards travels signed in the page's URL rather than in
the database: the return URL holds the debtor's token, and only its hash is ever stored.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

from agency.paylink.providers.base import Checkout, CheckoutRequest

SALT = "paylink-sandbox-return"


def payment_id(public_id: str) -> str:
    """Return the sandbox's own id for a payment (unique per provider, like Mollie's tr_...)."""
    return f"sbx_{public_id}"


class SandboxProvider:
    name = "sandbox"

    def __init__(self, secret_key: str) -> None:
        self._signer = URLSafeSerializer(secret_key, salt=SALT)

    def page_url(self, public_id: str) -> str:
        # Relative: the debtor stays on the address they reached the payment page by.
        return f"/pay/sandbox/{public_id}"

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        """Point the debtor at the sandbox page; the return URL rides along, signed."""
        back = self._signer.dumps([request.public_id, request.return_url])
        return Checkout(
            provider_payment_id=payment_id(request.public_id),
            checkout_url=self.page_url(request.public_id),
            debtor_url=f"{self.page_url(request.public_id)}?back={back}",
        )

    def return_url(self, public_id: str, back: str | None) -> str | None:
        """Return the URL signed for this payment, or None when it is missing or not ours."""
        if not back:
            return None
        try:
            signed_id, url = self._signer.loads(back)
        except (BadSignature, ValueError, TypeError):
            return None
        return url if signed_id == public_id else None
