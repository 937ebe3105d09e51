"""Entry points: the composition root, and (as they arrive) the HTTP API, CLI and worker.

This is the only package that imports adapters.
"""
