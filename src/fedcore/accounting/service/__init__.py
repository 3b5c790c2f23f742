"""Accounting's service functions: every query and business rule of the subsystem.

Entry points (REST, CLI, AMS, jobs) call these; they take keyword-only ``session`` (and
``actor`` for changes), flush but never commit, and check permissions themselves. The registry
is read through its own service functions only.
"""

from fedcore.accounting.service.authorisation import may_publish, sites_for_signer
from fedcore.accounting.service.publishers import (
    add_publisher,
    list_publishers,
    remove_publisher,
)

__all__ = [name for name in dir() if not name.startswith("_")]
