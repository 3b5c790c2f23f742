"""Alembic environment: one metadata for every subsystem; batch mode so SQLite can alter tables."""

from __future__ import annotations

from alembic import context

import fedcore.aai.models
import fedcore.accounting.models
import fedcore.core.models
import fedcore.monitoring.models
import fedcore.registry.models  # noqa: F401
from fedcore.core.db import Base, make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url is not None
engine = make_engine(url)
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
