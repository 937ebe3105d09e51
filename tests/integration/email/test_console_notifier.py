"""The console notifier: the rendered e-mail on a text stream, the address masked."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from kustodia_adapters.email.console import ConsoleNotifier
from kustodia_adapters.email.masking import mask_address
from kustodia_adapters.email.templates import render
from kustodia_domain.ports.notifications import Notification

FUNDED = Notification(
    id="ntf_000007",
    user_id="usr_000001",
    kind="escrow_funded",
    message="Escrow 1000001 is funded and in custody.",
    escrow_id="esc_000001",
    created_at=datetime(2026, 1, 15, 12, 0, tzinfo=UTC),
)


async def test_it_writes_the_subject_and_text_with_the_address_masked() -> None:
    stream = io.StringIO()
    await ConsoleNotifier(stream, app_url="https://app.kustodia.mx").deliver(
        FUNDED, "payer@example.mx"
    )
    output = stream.getvalue()
    rendered = render(FUNDED, app_url="https://app.kustodia.mx")
    assert "To: p***@example.mx" in output
    assert "payer@example.mx" not in output
    assert f"Subject: {rendered.subject}" in output
    assert "Notification: ntf_000007 (escrow_funded)" in output
    assert rendered.text.rstrip("\n") in output
    assert "<html" not in output


async def test_by_default_it_writes_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    notifier = ConsoleNotifier()
    await notifier.deliver(FUNDED, "payee@example.mx")
    await notifier.deliver(FUNDED, "payee@example.mx")
    out = capsys.readouterr().out
    assert out.count("Subject: Kustodia: Tu custodia está financiada") == 2
    assert "payee@example.mx" not in out


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("payer@example.mx", "p***@example.mx"),
        ("A.B+tag@sub.example.com", "A***@sub.example.com"),
        ("not-an-address", "***"),
        ("@example.mx", "***"),
    ],
)
def test_address_masks(address: str, masked: str) -> None:
    assert mask_address(address) == masked
