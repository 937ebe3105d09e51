"""The audit trail: an append-only, hash-chained record of admin actions and state changes.

Each entry carries the hash of the entry before it, so changing, removing or reordering any
entry breaks every hash after it; :func:`~kustodia_domain.audit.chain.verify` finds the first
break.
"""
