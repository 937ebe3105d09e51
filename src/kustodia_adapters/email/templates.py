"""The e-mail for each notification kind: a Spanish subject and text, an English line, HTML.

Every kind the domain notifies (``kustodia_domain.services.notify``) has its own template; a
kind without one still gets a plain notice (:data:`FALLBACK`), so a new kind never stops the
outbox. The Spanish text is written here; the English line is the notification's own message.

What an e-mail may say is deliberately little: what happened and where to look. It never
carries a full CLABE or card number (:func:`~kustodia_adapters.email.masking.redact` cuts any
long number to its last four digits), an e-mail address, a dispute's messages or evidence (the
counterparty's words stay in the platform) or any secret.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import attrs

from kustodia_adapters.email.masking import redact
from kustodia_domain.ports.notifications import Notification

GREETING = "Hola:"
FOOTER = (
    "Este es un mensaje automático de Kustodia; no respondas a este correo.",
    "Kustodia nunca te pedirá contraseñas, códigos ni tu CLABE completa por correo.",
    "This is an automated message from Kustodia; please do not reply.",
)


@attrs.frozen(kw_only=True)
class EmailTemplate:
    """The Spanish words of one kind of e-mail: its subject, what happened, what to do next."""

    subject: str
    lead: str
    next_step: str | None = None


@attrs.frozen(kw_only=True)
class RenderedEmail:
    """One e-mail ready to send: subject, plain text and an HTML alternative."""

    subject: str
    text: str
    html: str


_RESPOND_IN_TIME = "Responde en la plataforma y aporta tus pruebas dentro del plazo."
_SEE_PLATFORM = "Consulta los detalles en la plataforma."

TEMPLATES: Mapping[str, EmailTemplate] = {
    # Escrows.
    "escrow_opened": EmailTemplate(
        subject="Se abrió una custodia",
        lead="Se abrió una custodia en la que participas.",
        next_step="Revisa los términos; quien paga puede depositar por SPEI con la referencia "
        "que indica la plataforma.",
    ),
    "request_accepted": EmailTemplate(
        subject="Se aceptó una solicitud de pago",
        lead="La solicitud de pago fue aceptada.",
        next_step="Quien paga ya puede depositar por SPEI con la referencia de la custodia.",
    ),
    "deposit_received": EmailTemplate(
        subject="Recibimos un depósito",
        lead="Llegó un depósito SPEI para tu custodia.",
        next_step="Te avisaremos cuando la custodia quede totalmente financiada.",
    ),
    "deposit_bounced": EmailTemplate(
        subject="Devolvimos un depósito",
        lead="Un depósito para tu custodia no se pudo aplicar y se devolvió a la cuenta de origen.",
        next_step="Verifica la CLABE de depósito, la referencia y el monto antes de depositar "
        "de nuevo.",
    ),
    "escrow_funded": EmailTemplate(
        subject="Tu custodia está financiada",
        lead="La custodia recibió el monto completo y los fondos están resguardados.",
        next_step="Los fondos se liberan según los términos acordados.",
    ),
    "release_approved": EmailTemplate(
        subject="Se aprobó una liberación",
        lead="Se aprobó la liberación de fondos de tu custodia.",
        next_step="Revisa en la plataforma si falta alguna aprobación.",
    ),
    "funds_released": EmailTemplate(
        subject="Se liberaron los fondos",
        lead="Los fondos de la custodia se liberaron a quien vende.",
        next_step="El pago se envía por SPEI a la cuenta de pago registrada.",
    ),
    "escrow_refunded": EmailTemplate(
        subject="Se reembolsó la custodia",
        lead="Los fondos de la custodia se devolvieron a quien paga.",
        next_step="El reembolso se envía por SPEI a la cuenta registrada.",
    ),
    "escrow_split": EmailTemplate(
        subject="Se repartieron los fondos de la custodia",
        lead="Los fondos de la custodia se repartieron entre las partes.",
        next_step="Cada parte recibe su monto por SPEI en la cuenta registrada.",
    ),
    "escrow_disputed": EmailTemplate(
        subject="Tu custodia está en disputa",
        lead="Se abrió una disputa sobre la custodia; los fondos siguen resguardados hasta que "
        "se resuelva.",
        next_step=_RESPOND_IN_TIME,
    ),
    "escrow_on_hold": EmailTemplate(
        subject="Tu custodia está en revisión",
        lead="La custodia quedó en pausa mientras nuestro equipo la revisa; los fondos siguen "
        "resguardados.",
        next_step="Te avisaremos cuando termine la revisión.",
    ),
    "hold_cleared": EmailTemplate(
        subject="Terminó la revisión de tu custodia",
        lead="La revisión terminó y la custodia sigue su curso normal.",
    ),
    "escrow_cancelled": EmailTemplate(
        subject="Se canceló la custodia",
        lead="La custodia fue cancelada.",
        next_step="Si hubo depósitos, se devuelven a la cuenta de origen.",
    ),
    "escrow_expired": EmailTemplate(
        subject="La custodia venció sin fondos",
        lead="La custodia venció sin recibir el depósito completo.",
        next_step="Si hubo depósitos parciales, se devuelven a la cuenta de origen.",
    ),
    "escrow_completed": EmailTemplate(
        subject="Custodia completada",
        lead="La custodia terminó: todos sus pagos fueron confirmados.",
    ),
    "release_reminder": EmailTemplate(
        subject="Recordatorio: la custodia espera tu aprobación",
        lead="La custodia pasó su fecha límite y necesita la aprobación de ambas partes para "
        "liberar los fondos.",
        next_step="Entra a la plataforma para aprobar la liberación o abrir una disputa.",
    ),
    # Payouts (SPEI): ready for notification rules on PayoutConfirmed and PayoutReturned.
    "payout_confirmed": EmailTemplate(
        subject="Se confirmó un pago",
        lead="El banco confirmó un pago SPEI de tu custodia.",
    ),
    "payout_returned": EmailTemplate(
        subject="Un pago fue devuelto",
        lead="El banco devolvió un pago SPEI de tu custodia; nuestro equipo lo revisa.",
        next_step="Verifica que tu cuenta de pago registrada sea correcta.",
    ),
    # Disputes.
    "dispute_opened": EmailTemplate(
        subject="Se abrió una disputa",
        lead="Se abrió una disputa sobre una custodia en la que participas.",
        next_step=_RESPOND_IN_TIME,
    ),
    "dispute_message": EmailTemplate(
        subject="Nuevo mensaje en tu disputa",
        lead="Hay un mensaje nuevo en la disputa.",
        next_step="Léelo y responde en la plataforma.",
    ),
    "dispute_evidence": EmailTemplate(
        subject="Nueva evidencia en tu disputa",
        lead="Se agregó evidencia a la disputa.",
        next_step="Revísala en la plataforma.",
    ),
    "dispute_resolved": EmailTemplate(
        subject="Se resolvió la disputa",
        lead="La disputa fue resuelta.",
        next_step="Consulta la resolución y los pagos que resultan de ella en la plataforma.",
    ),
}
"""Every kind's template, by notification kind."""

FALLBACK = EmailTemplate(
    subject="Novedad en tu cuenta",
    lead="Hay una novedad en tu cuenta de Kustodia.",
    next_step=_SEE_PLATFORM,
)
"""For a kind without a template of its own."""


def template_for(kind: str) -> EmailTemplate:
    """The template of ``kind``, or :data:`FALLBACK`."""
    return TEMPLATES.get(kind, FALLBACK)


def _paragraphs(notification: Notification, template: EmailTemplate) -> list[str]:
    paragraphs = [template.lead]
    if template.next_step:
        paragraphs.append(template.next_step)
    if notification.escrow_id:
        paragraphs.append(f"Custodia: {notification.escrow_id}")
    return paragraphs


def render(notification: Notification, *, app_url: str | None = None) -> RenderedEmail:
    """The e-mail for ``notification``; ``app_url`` adds a link to the platform."""
    template = template_for(notification.kind)
    subject = f"Kustodia: {template.subject}"
    paragraphs = [redact(p) for p in _paragraphs(notification, template)]
    english = redact(" ".join(notification.message.split()))
    link = app_url.strip() if app_url else None

    text_parts = [GREETING, *paragraphs, f"English: {english}"]
    if link:
        text_parts.append(f"Ver en Kustodia: {link}")
    text = "\n\n".join(text_parts) + "\n\n--\n" + "\n".join(FOOTER) + "\n"

    esc = html.escape
    body = [f"<p>{esc(GREETING)}</p>", *(f"<p>{esc(p)}</p>" for p in paragraphs)]
    body.append(f'<p lang="en" style="color:#555555">English: {esc(english)}</p>')
    if link:
        body.append(f'<p><a href="{esc(link, quote=True)}">Ver en Kustodia</a></p>')
    footer = "<br>".join(esc(line) for line in FOOTER)
    document = (
        '<!DOCTYPE html>\n<html lang="es">\n<head><meta charset="utf-8">'
        f"<title>{esc(subject)}</title></head>\n"
        '<body style="font-family:Arial,Helvetica,sans-serif;color:#1a1a1a;line-height:1.5">\n'
        + "\n".join(body)
        + f'\n<hr>\n<p style="font-size:12px;color:#777777">{footer}</p>\n</body>\n</html>\n'
    )
    return RenderedEmail(subject=subject, text=text, html=document)
