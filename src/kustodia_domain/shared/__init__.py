"""Shared kernel: money, identifiers, CLABEs, errors and the domain event base.

Everything else in the domain may import from here; this package imports nothing of the domain.
"""
