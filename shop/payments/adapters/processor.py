"""The card processor, behind an anti-corruption layer.

The processor speaks its own language, modelled on ISO 8583: an authorization request
gets a two-digit *response code* (``"00"`` approved, ``"05"`` do not honor, ``"51"``
insufficient funds, ``"54"`` expired card, ``"59"`` suspected fraud, ``"91"`` issuer or
switch inoperative, ``"96"`` system malfunction), an ``auth_code`` and a
``processor_ref``. :class:`SimulatedProcessor` plays that processor, deterministically:

==========================  ======================================
card token                  answer
==========================  ======================================
``tok_declined``            ``"05"`` do not honor
``tok_insufficient_funds``  ``"51"`` insufficient funds
``tok_expired``             ``"54"`` expired card
``tok_fraud``               ``"59"`` suspected fraud
``tok_unavailable``         ``"91"`` issuer or switch inoperative
anything else               ``"00"`` approved
==========================  ======================================

:class:`ProcessorGateway` is the only code that reads those codes: it implements the
domain's ``CardProcessor`` port and turns every answer into an ``Approved`` or
``Declined`` decision, or a ``ProcessorUnavailable`` error.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from shop.payments.domain.exceptions import ProcessorUnavailable
from shop.payments.domain.model import Approved, Decision, Declined, DeclineReason, Money

__all__ = [
    "APPROVED",
    "DECLINE_CODES",
    "UNAVAILABLE_CODES",
    "ProcessorGateway",
    "ProcessorLinkDown",
    "ProcessorRejected",
    "ProcessorResponse",
    "SimulatedProcessor",
]

#: The processor's "approved" response code.
APPROVED: Final = "00"
#: Response codes that decline the card, and what each means to the shop.
DECLINE_CODES: Final[dict[str, DeclineReason]] = {
    "05": DeclineReason.DO_NOT_HONOR,
    "51": DeclineReason.INSUFFICIENT_FUNDS,
    "54": DeclineReason.CARD_EXPIRED,
    "59": DeclineReason.FRAUD_SUSPECTED,
}
#: Response codes that mean "no decision was made; try again later".
UNAVAILABLE_CODES: Final = frozenset({"91", "96"})

_TOKEN_CODES: Final[dict[str, str]] = {
    "tok_declined": "05",
    "tok_insufficient_funds": "51",
    "tok_expired": "54",
    "tok_fraud": "59",
    "tok_unavailable": "91",
}


class ProcessorLinkDown(Exception):
    """The processor could not be reached at all."""


@dataclass(frozen=True, slots=True)
class ProcessorResponse:
    """One answer of the processor, in its own vocabulary."""

    response_code: str
    processor_ref: str
    auth_code: str | None = None


@dataclass
class SimulatedProcessor:
    """A deterministic stand-in for an external card processor.

    It keeps the state of every hold it approved (``"approved"``, ``"settled"`` or
    ``"reversed"``) so tests can see what the processor was asked to do. Set
    ``link_down`` to make every call fail as if the network were gone.

    A real processor outlives the payments process that calls it. With a ``journal``
    (one JSON line per change, replayed when the processor is created) so does this
    one: a payments process killed and started again still captures or voids the holds
    it approved before. Each approval names its ``merchant_ref`` (the order), so an
    audit can count what was settled per order at the processor itself.
    """

    link_down: bool = False
    holds: dict[str, str] = field(default_factory=dict)
    amounts: dict[str, tuple[int, str]] = field(default_factory=dict)
    merchants: dict[str, str] = field(default_factory=dict)
    journal: Path | None = None

    def __post_init__(self) -> None:
        if self.journal is None or not self.journal.exists():
            return
        for line in self.journal.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
                ref, state = str(entry["ref"]), str(entry["state"])
            except (ValueError, KeyError, TypeError):
                continue  # a line torn by a crash
            self.holds[ref] = state
            if "amount" in entry:
                self.amounts[ref] = (int(entry["amount"]), str(entry["currency"]))
            if "merchant_ref" in entry:
                self.merchants[ref] = str(entry["merchant_ref"])

    def _record(self, ref: str, state: str) -> None:
        self.holds[ref] = state
        if self.journal is None:
            return
        entry: dict[str, object] = {"ref": ref, "state": state}
        if state == "approved":
            amount, currency = self.amounts[ref]
            entry.update(amount=amount, currency=currency, merchant_ref=self.merchants[ref])
        with self.journal.open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry) + "\n")

    def send_authorization(
        self, *, pan_token: str, amount_minor: int, currency_code: str, merchant_ref: str
    ) -> ProcessorResponse:
        """An authorization request (ISO 8583 message type 0100)."""
        self._check_link()
        processor_ref = f"prc_{secrets.token_hex(8)}"
        code = _TOKEN_CODES.get(pan_token, APPROVED)
        if code != APPROVED:
            return ProcessorResponse(response_code=code, processor_ref=processor_ref)
        self.amounts[processor_ref] = (amount_minor, currency_code)
        self.merchants[processor_ref] = merchant_ref
        self._record(processor_ref, "approved")
        return ProcessorResponse(
            response_code=APPROVED,
            processor_ref=processor_ref,
            auth_code=f"{secrets.randbelow(1_000_000):06d}",
        )

    def send_completion(self, *, processor_ref: str, amount_minor: int) -> ProcessorResponse:
        """Settle a hold (message type 0220); repeating it is harmless."""
        self._check_link()
        state = self.holds.get(processor_ref)
        if state is None:
            return ProcessorResponse(response_code="25", processor_ref=processor_ref)
        if state == "reversed" or self.amounts[processor_ref][0] < amount_minor:
            return ProcessorResponse(response_code="12", processor_ref=processor_ref)
        self._record(processor_ref, "settled")
        return ProcessorResponse(response_code=APPROVED, processor_ref=processor_ref)

    def send_reversal(self, *, processor_ref: str) -> ProcessorResponse:
        """Release a hold (message type 0400); repeating it is harmless."""
        self._check_link()
        state = self.holds.get(processor_ref)
        if state is None:
            return ProcessorResponse(response_code="25", processor_ref=processor_ref)
        if state == "settled":
            return ProcessorResponse(response_code="12", processor_ref=processor_ref)
        self._record(processor_ref, "reversed")
        return ProcessorResponse(response_code=APPROVED, processor_ref=processor_ref)

    def _check_link(self) -> None:
        if self.link_down:
            raise ProcessorLinkDown("no route to the card processor")


class ProcessorRejected(Exception):
    """The processor refused a completion or reversal the domain believed valid."""


class ProcessorGateway:
    """The domain's ``CardProcessor`` port, spoken to the processor."""

    def __init__(self, processor: SimulatedProcessor) -> None:
        self._processor = processor

    async def authorize(self, *, order_id: str, amount: Money, card_token: str) -> Decision:
        """Ask for a hold and translate the response code into a decision."""
        response = self._call(
            lambda: self._processor.send_authorization(
                pan_token=card_token,
                amount_minor=amount.cents,
                currency_code=amount.currency,
                merchant_ref=order_id,
            )
        )
        code = response.response_code
        if code == APPROVED:
            return Approved(reference=response.processor_ref)
        if code in UNAVAILABLE_CODES:
            raise ProcessorUnavailable(f"card processor answered {code}")
        # An unknown refusal is treated as the most conservative decline.
        return Declined(DECLINE_CODES.get(code, DeclineReason.DO_NOT_HONOR))

    async def capture(self, reference: str, amount: Money) -> None:
        """Settle the hold ``reference``."""
        response = self._call(
            lambda: self._processor.send_completion(
                processor_ref=reference, amount_minor=amount.cents
            )
        )
        self._expect_approved(response, "completion")

    async def void(self, reference: str) -> None:
        """Reverse the hold ``reference``."""
        response = self._call(lambda: self._processor.send_reversal(processor_ref=reference))
        self._expect_approved(response, "reversal")

    @staticmethod
    def _call(send: Callable[[], ProcessorResponse]) -> ProcessorResponse:
        try:
            return send()
        except ProcessorLinkDown as exc:
            raise ProcessorUnavailable(str(exc)) from exc

    @staticmethod
    def _expect_approved(response: ProcessorResponse, what: str) -> None:
        code = response.response_code
        if code == APPROVED:
            return
        if code in UNAVAILABLE_CODES:
            raise ProcessorUnavailable(f"card processor answered {code} to a {what}")
        raise ProcessorRejected(
            f"card processor refused the {what} of {response.processor_ref} with {code}"
        )
