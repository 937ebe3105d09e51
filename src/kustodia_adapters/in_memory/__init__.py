"""In-memory adapters: every port in process, for tests, demos and the embedded library.

They keep the same promises as the database adapters (optimistic versions, atomic commits,
idempotent ledger, outbox and rail), which the contract suites in ``tests/contract`` check for
every adapter. Stored aggregates are deep copies, so callers never alias what is stored.
"""
