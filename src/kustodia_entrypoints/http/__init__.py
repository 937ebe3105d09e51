"""The HTTP API (Litestar): controllers over the domain's use cases, never over adapters.

``build_app`` receives everything it needs (use cases, sandbox controls, readiness probe,
configuration) from the composition root in :mod:`kustodia_entrypoints.bootstrap`.
"""
