"""Cryptographic adapters: argon2id password hashing."""
