"""Ports: the Protocols through which the domain reaches storage, time, rails and people.

Adapters subclass these explicitly, so a missing method fails at instantiation.
"""
