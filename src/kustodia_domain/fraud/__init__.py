"""Fraud and risk: the screening vocabulary and the rule engine behind the risk-screen port.

Fraud never imports the escrow model: use cases describe what happens as a ``RiskEvent`` with
plain facts, and the engine answers with a ``RiskDecision``. Rules are data (``rulesets/*.toml``,
checked when loaded: :mod:`.ruleset_files`), conditions a checked expression language over facts
(:mod:`.conditions`); facts are computed as of the event's time from the history, the versioned
party profiles and the lists (:mod:`.facts`). :class:`.screen.RuleEngineRiskScreen` implements
the port; :mod:`.backtest` and :mod:`.metrics` replay and measure rulesets; :mod:`.alerts` and
:mod:`.overrides` are the review queue's aggregates.
"""
