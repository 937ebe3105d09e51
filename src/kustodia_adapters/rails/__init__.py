"""The SPEI rail provider over HTTP: payouts, deposit CLABEs and the statement for reconciliation.

``http_spei`` documents the provider's REST API and holds the two adapters (``HttpSpeiRail`` for
the ``PaymentRail`` port, ``HttpRailStatement`` for ``RailStatementReader``); ``client`` is the
transport they share (signing, timeouts, bounded retries, error translation). This package
imports the domain and ``httpx`` only, never another adapter package.
"""
