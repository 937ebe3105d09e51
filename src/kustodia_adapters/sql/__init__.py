"""SQL adapters: every storage port on PostgreSQL (asyncpg) and SQLite (aiosqlite), one code path.

Core ``Table``s on one ``MetaData`` (:mod:`.tables`), explicit row <-> domain mappers, and
repositories that run Core statements on the unit of work's ``AsyncConnection``. The domain
classes are never instrumented. What differs between the two databases lives in
:mod:`.dialects`, named; everything else is shared. The schema itself is built by the Alembic
migrations in ``migrations/``, which ``alembic check`` keeps equal to :mod:`.tables`.
"""
