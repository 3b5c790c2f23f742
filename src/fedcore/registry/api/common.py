"""What every registry API module shares: name queries (paging parameters are
``core.pagination.Paging``; the page envelope, created resources' Location and the error
responses are in ``core.api``)."""

from __future__ import annotations

from fedcore.core.pagination import Paging
from fedcore.registry.schemas import NameFilter


class NameQuery(NameFilter, Paging):
    """Lists found by name only: scopes, projects, service types, service groups."""
