"""Support tickets: a user's question, the replies, and its ``open -> in_progress -> closed`` life.

Tickets hold no escrow or ledger state, but they are written through the unit of work
(``uow.tickets``) all the same, so that a ticket commits with its audit record and under the
request's idempotency claim.
"""
