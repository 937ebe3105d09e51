"""Adapters: the technologies behind the domain's ports.

Each subpackage implements ports from :mod:`kustodia_domain.ports` with one technology and
subclasses the Protocols explicitly; adapters never import each other, and only the composition
root chooses which ones run.
"""
