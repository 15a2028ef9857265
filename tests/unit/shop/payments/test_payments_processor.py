"""The anti-corruption layer: processor response codes never reach the domain."""

from __future__ import annotations

import pytest

from shop.payments.adapters.processor import (
    DECLINE_CODES,
    ProcessorGateway,
    ProcessorRejected,
    ProcessorResponse,
    SimulatedProcessor,
)
from shop.payments.domain.exceptions import ProcessorUnavailable
from shop.payments.domain.model import Approved, Declined, DeclineReason, Money

EUR_10 = Money(1000, "EUR")


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("tok_declined", DeclineReason.DO_NOT_HONOR),
        ("tok_insufficient_funds", DeclineReason.INSUFFICIENT_FUNDS),
        ("tok_expired", DeclineReason.CARD_EXPIRED),
        ("tok_fraud", DeclineReason.FRAUD_SUSPECTED),
    ],
)
async def test_declining_tokens_become_domain_reasons(token: str, reason: DeclineReason) -> None:
    processor = SimulatedProcessor()
    decision = await ProcessorGateway(processor).authorize(
        order_id="o", amount=EUR_10, card_token=token
    )
    assert decision == Declined(reason)
    assert processor.holds == {}


@pytest.mark.anyio
async def test_any_other_token_is_approved_with_the_processor_reference() -> None:
    processor = SimulatedProcessor()
    decision = await ProcessorGateway(processor).authorize(
        order_id="o", amount=EUR_10, card_token="tok_visa_4242"
    )
    assert isinstance(decision, Approved)
    assert processor.holds == {decision.reference: "approved"}
    assert processor.amounts[decision.reference] == (1000, "EUR")


@pytest.mark.anyio
async def test_unavailable_token_is_a_retryable_domain_error() -> None:
    with pytest.raises(ProcessorUnavailable, match="91"):
        await ProcessorGateway(SimulatedProcessor()).authorize(
            order_id="o", amount=EUR_10, card_token="tok_unavailable"
        )


@pytest.mark.anyio
async def test_a_lost_link_is_processor_unavailable_for_every_call() -> None:
    gateway = ProcessorGateway(SimulatedProcessor(link_down=True))
    with pytest.raises(ProcessorUnavailable):
        await gateway.authorize(order_id="o", amount=EUR_10, card_token="tok_ok")
    with pytest.raises(ProcessorUnavailable):
        await gateway.capture("prc_x", EUR_10)
    with pytest.raises(ProcessorUnavailable):
        await gateway.void("prc_x")


@pytest.mark.anyio
async def test_capture_and_void_settle_or_reverse_the_hold_idempotently() -> None:
    processor = SimulatedProcessor()
    gateway = ProcessorGateway(processor)
    first = await gateway.authorize(order_id="a", amount=EUR_10, card_token="tok_ok")
    second = await gateway.authorize(order_id="b", amount=EUR_10, card_token="tok_ok")
    assert isinstance(first, Approved) and isinstance(second, Approved)
    await gateway.capture(first.reference, EUR_10)
    await gateway.capture(first.reference, EUR_10)
    await gateway.void(second.reference)
    await gateway.void(second.reference)
    assert processor.holds == {first.reference: "settled", second.reference: "reversed"}
    with pytest.raises(ProcessorRejected, match="12"):
        await gateway.void(first.reference)


def test_unknown_refusal_codes_are_declined_conservatively() -> None:
    class Odd(SimulatedProcessor):
        def send_authorization(self, **_: object) -> ProcessorResponse:  # type: ignore[override]
            return ProcessorResponse(response_code="62", processor_ref="prc_odd")

    import anyio

    decision = anyio.run(
        lambda: ProcessorGateway(Odd()).authorize(order_id="o", amount=EUR_10, card_token="t")
    )
    assert decision == Declined(DeclineReason.DO_NOT_HONOR)
    assert set(DECLINE_CODES.values()) == set(DeclineReason)
