"""Templates: one for every kind the product notifies, in Spanish with an English line, no PII."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kustodia_adapters.email.templates import FALLBACK, TEMPLATES, render, template_for
from kustodia_domain.ports.notifications import Notification
from kustodia_domain.services import notify

CLABE = "002180000000007002"
AT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def escrow_kinds() -> set[str]:
    return {kind for kind, _who, _message in notify._ESCROW_RULES.values()}


def dispute_kinds() -> set[str]:
    """The kinds of the table in notify.py keyed by dispute events, read from its source."""
    tree = ast.parse(Path(notify.__file__).read_text(encoding="utf-8"))
    kinds = {
        value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Dict)
        for key, value in zip(node.keys, node.values, strict=True)
        if isinstance(key, ast.Attribute)
        and isinstance(key.value, ast.Name)
        and key.value.id == "dispute_events"
        and isinstance(value, ast.Constant)
        and isinstance(value.value, str)
    }
    assert "dispute_opened" in kinds  # the table is where this test expects it
    return kinds


def notification(
    kind: str, message: str = "Escrow 1000001 is funded and in custody."
) -> Notification:
    return Notification(
        id="ntf_000001",
        user_id="usr_000001",
        kind=kind,
        message=message,
        escrow_id="esc_000001",
        created_at=AT,
    )


def test_every_kind_the_product_notifies_has_a_template_of_its_own() -> None:
    kinds = escrow_kinds() | dispute_kinds()
    assert len(kinds) >= 20
    missing = sorted(kinds - TEMPLATES.keys())
    assert missing == []
    assert all(template_for(kind) is not FALLBACK for kind in kinds)


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_each_e_mail_is_spanish_with_the_english_line_and_a_link(kind: str) -> None:
    template = TEMPLATES[kind]
    rendered = render(notification(kind), app_url="https://app.kustodia.mx")
    assert rendered.subject == f"Kustodia: {template.subject}"
    assert "\n" not in rendered.subject
    assert rendered.text.startswith("Hola:\n\n" + template.lead)
    if template.next_step:
        assert template.next_step in rendered.text
    assert "English: Escrow 1000001 is funded and in custody." in rendered.text
    assert "Custodia: esc_000001" in rendered.text
    assert "Ver en Kustodia: https://app.kustodia.mx" in rendered.text
    assert "no respondas a este correo" in rendered.text
    assert '<html lang="es">' in rendered.html
    assert '<a href="https://app.kustodia.mx">' in rendered.html
    assert 'lang="en"' in rendered.html


def test_a_kind_without_a_template_still_gets_a_plain_notice() -> None:
    rendered = render(notification("something_new", "Something new happened."))
    assert rendered.subject == "Kustodia: Novedad en tu cuenta"
    assert "English: Something new happened." in rendered.text
    assert "Ver en Kustodia" not in rendered.text


def test_no_full_clabe_card_number_or_address_ever_reaches_an_e_mail() -> None:
    leaky = f"Paid to {CLABE} (card 4111111111111111) for ana.compradora@example.mx."
    rendered = render(notification("funds_released", leaky))
    for body in (rendered.text, rendered.html):
        assert CLABE not in body
        assert "4111111111111111" not in body
        assert "ana.compradora@example.mx" not in body
        assert not re.search(r"\d{15,}", body)
        assert "**************7002" in body
        assert "a***@example.mx" in body


def test_the_html_part_escapes_the_message() -> None:
    rendered = render(notification("dispute_message", "Dispute <b>dsp_1</b> & more"))
    assert "&lt;b&gt;dsp_1&lt;/b&gt; &amp; more" in rendered.html
    assert "<b>" not in rendered.html


def test_a_notification_without_an_escrow_leaves_the_escrow_line_out() -> None:
    lone = Notification(
        id="ntf_2", user_id="usr_1", kind="hold_cleared", message="Cleared.", escrow_id=None,
        created_at=AT,
    )  # fmt: skip
    assert "Custodia:" not in render(lone).text
