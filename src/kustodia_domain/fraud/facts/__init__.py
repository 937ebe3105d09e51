"""Facts: named, typed values computed for an event as of its time.

A fact is either plain (``event.amount_minor``) or a member of a family that takes arguments
(``payer.funded_minor[1d]``: the family ``payer.funded_minor`` with a one-day window). Rules read
facts by key; the catalog says which keys exist, their types and how to compute them from the
event, the party profiles, the lists and the history.
"""
