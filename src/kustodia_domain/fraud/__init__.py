"""Fraud and risk: the screening vocabulary (events, outcomes, decisions) and the rule engine.

Fraud never imports the escrow model: use cases describe what happens as a ``RiskEvent`` with
plain facts, and the engine answers with a ``RiskDecision``.
"""
