"""The double-entry ledger: accounts, balanced immutable transactions, balances.

The ledger is the source of truth for money. Every movement is one ``LedgerTransaction`` whose
postings sum to zero per currency and which carries an idempotency key; the sum over all
accounts is therefore zero at all times.
"""
