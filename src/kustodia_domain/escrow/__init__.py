"""The escrow aggregate: terms, the explicit state machine, deposits, settlement and payouts.

State changes only through ``Escrow``'s methods, guarded by the one transition table in
:mod:`kustodia_domain.escrow.states`; every change records a past-tense event.
"""
