"""SQL adapters of the platform's stores and of the back office's reads.

The stores (the audit trail, credentials, idempotency keys, webhook receipts, evidence
blobs, KYC sessions, the queue of reconciliation differences) are each built from an
``AsyncEngine`` and run every call in a transaction of its own
(:func:`kustodia_adapters.sql.standalone.own_transaction`): they share no transaction with the
unit of work. The back office reads committed state only.
"""
