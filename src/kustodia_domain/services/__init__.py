"""Use cases: one handler per command or query, each an ``execute`` over injected ports.

Handlers load aggregates inside a unit of work, call one aggregate method, persist the result
(ledger postings, outbox work, notifications, events) and commit. Network calls happen only
before or after the unit of work, never inside it.
"""
