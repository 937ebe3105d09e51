"""Rule conditions: a small, checked expression language over facts and parameters.

A condition is a Python-syntax expression (``payer.funded_minor["1d"] >= params.max_minor``)
parsed with :mod:`ast`, checked against the fact catalog and the rule's parameters, typed, and
compiled to closures. Nothing is ever passed to ``eval``.
"""
