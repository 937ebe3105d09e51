"""Kustodia's framework-free domain.

Money, the double-entry ledger, the escrow and dispute state machines, the fraud rule engine and
the use cases that drive them. It talks to the world only through the ports in
:mod:`kustodia_domain.ports`; everything here can run on the in-memory adapters.
"""
