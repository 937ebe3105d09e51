"""Ports of the fraud engine's memory: screened-event history and the review queue.

The Protocols are defined beside their records in :mod:`kustodia_domain.fraud` because the rule
engine, which sits in a lower ring than ``ports`` (see the ``domain-rings`` contract), calls
them; they are re-exported here so that adapters and the composition root find every port in
one family. They are the same objects: subclassing either name is the same thing.
"""

from __future__ import annotations

from kustodia_domain.fraud.alerts import Alert, AlertRepository, AlertState
from kustodia_domain.fraud.history import HistoryEntry, HistoryKey, RiskHistory, history_keys
from kustodia_domain.fraud.overrides import Override, OverrideRepository

__all__ = [
    "Alert",
    "AlertRepository",
    "AlertState",
    "HistoryEntry",
    "HistoryKey",
    "Override",
    "OverrideRepository",
    "RiskHistory",
    "history_keys",
]
