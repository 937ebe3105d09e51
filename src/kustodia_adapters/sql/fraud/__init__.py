"""SQL adapters of the fraud engine's stores: history, party profiles, lists, alerts, overrides.

Each is built from an ``AsyncEngine`` and runs every call in a transaction of its own
(:func:`kustodia_adapters.sql.standalone.own_transaction`), like the in-memory stores they
replace: the engine reads and appends outside the use cases' units of work.
"""
