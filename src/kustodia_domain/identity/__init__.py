"""Users as the escrow core sees them: role, KYC level, deposit CLABE and payout account.

Credentials (password hashes, tokens) belong to the HTTP edge, not here.
"""
