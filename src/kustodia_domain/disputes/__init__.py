"""Disputes: opened by a party while funded, visible to both parties, resolved once.

Messages and evidence are visible to both parties, the other party has a response deadline,
the (advisory) assessment is stored, and high-value resolutions need four eyes.
"""
