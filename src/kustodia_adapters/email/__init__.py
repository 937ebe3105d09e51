"""E-mail: the notifiers behind the domain's ``Notifier`` port, and their templates.

:class:`ConsoleNotifier` (the default) writes each rendered e-mail to a text stream;
:class:`SmtpNotifier` sends it with the standard library's ``smtplib`` in a worker thread.
Both render with :mod:`kustodia_adapters.email.templates`: Spanish first, with the notification's
English line, and never a full CLABE, an e-mail address in the body or a secret. Addresses are
masked in everything either notifier logs or prints; only the SMTP envelope and ``To`` header
carry them whole.
"""

from kustodia_adapters.email.console import ConsoleNotifier
from kustodia_adapters.email.errors import NotificationDeliveryError, drops_message
from kustodia_adapters.email.smtp import SmtpNotifier, SmtpSecurity, SmtpSettings
from kustodia_adapters.email.templates import TEMPLATES, RenderedEmail, render

__all__ = [
    "TEMPLATES",
    "ConsoleNotifier",
    "NotificationDeliveryError",
    "RenderedEmail",
    "SmtpNotifier",
    "SmtpSecurity",
    "SmtpSettings",
    "drops_message",
    "render",
]
