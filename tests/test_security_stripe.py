"""Two facts about the Stripe setup that RELIABILITY.md states and the rest of the Stripe tests rely
on: stripe-python 16.x objects are not dicts (the gateway converts them once), and no test reaches
the internet (the loopback guard in tests/stripe_support.py really refuses other hosts)."""

from __future__ import annotations

import socket

import pytest
import stripe

from marketplace.payments.gateway import session_from_stripe
from tests.stripe_support import no_internet_fixture  # noqa: F401 (a fixture)


def test_stripe_objects_are_not_dicts_and_the_gateway_reads_them_anyway() -> None:
    obj = stripe.StripeObject.construct_from(
        {
            "id": "cs_test_1",
            "object": "checkout.session",
            "status": "complete",
            "payment_status": "paid",
            "amount_total": 5000,
            "currency": "cny",
            "metadata": {"pledge_id": "7"},
        },
        "sk_test_x",
    )
    assert not isinstance(obj, dict)
    assert obj["amount_total"] == 5000 and obj.to_dict()["metadata"] == {"pledge_id": "7"}
    session = session_from_stripe(obj)
    assert (session.id, session.pledge_id, session.amount_total, session.currency) == (
        "cs_test_1",
        7,
        5000,
        "cny",
    )


@pytest.mark.parametrize("host", ["api.stripe.com", "example.org"])
def test_no_test_can_reach_beyond_loopback(host: str) -> None:
    with pytest.raises(AssertionError, match="tried to resolve"):
        socket.getaddrinfo(host, 443)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(AssertionError):
        sock.connect(("93.184.216.34", 443))
