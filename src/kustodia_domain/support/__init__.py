"""Support tickets: a user's question, the replies, and its ``open -> in_progress -> closed`` life.

Tickets stand alone (no escrow or ledger state), so they have their own repository port rather
than a place in the unit of work.
"""
