"""Rulesets shipped with the package, as TOML data files (``default.toml``)."""
