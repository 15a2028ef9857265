"""The simulated card processor outlives a payments process when it keeps a journal."""

from __future__ import annotations

from pathlib import Path

from shop.payments.adapters.processor import APPROVED, SimulatedProcessor


def test_holds_survive_a_new_processor_on_the_same_journal(tmp_path: Path) -> None:
    journal = tmp_path / "processor.jsonl"
    first = SimulatedProcessor(journal=journal)
    a = first.send_authorization(
        pan_token="tok_ok", amount_minor=500, currency_code="EUR", merchant_ref="o1"
    )
    b = first.send_authorization(
        pan_token="tok_ok", amount_minor=700, currency_code="EUR", merchant_ref="o2"
    )
    assert first.send_completion(processor_ref=a.processor_ref, amount_minor=500).response_code == (
        APPROVED
    )

    again = SimulatedProcessor(journal=journal)  # the process was killed and started again
    assert again.holds == {a.processor_ref: "settled", b.processor_ref: "approved"}
    assert again.amounts[b.processor_ref] == (700, "EUR")
    assert again.merchants == {a.processor_ref: "o1", b.processor_ref: "o2"}
    assert again.send_reversal(processor_ref=b.processor_ref).response_code == APPROVED
    assert again.send_reversal(processor_ref=a.processor_ref).response_code == "12"
    assert SimulatedProcessor(journal=journal).holds[b.processor_ref] == "reversed"


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    journal = tmp_path / "processor.jsonl"
    first = SimulatedProcessor(journal=journal)
    a = first.send_authorization(
        pan_token="tok_ok", amount_minor=500, currency_code="EUR", merchant_ref="o1"
    )
    with journal.open("a") as out:
        out.write('{"ref": "prc_torn", "sta')
    assert SimulatedProcessor(journal=journal).holds == {a.processor_ref: "approved"}


def test_without_a_journal_nothing_is_written(tmp_path: Path) -> None:
    processor = SimulatedProcessor()
    processor.send_authorization(
        pan_token="tok_ok", amount_minor=1, currency_code="EUR", merchant_ref="o1"
    )
    assert list(tmp_path.iterdir()) == []
