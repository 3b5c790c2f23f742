"""VO, VO group and VO role from a VOMS FQAN, as APEL's ``parse_fqan`` (reference §1.4)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096)
def parse_fqan(fqan: str) -> tuple[str, str, str]:
    """``(vo, vo_group, vo_role)`` of the first FQAN of a ``;``-separated list.

    ``/atlas/higgs/Role=production/Capability=NULL`` gives ``('atlas', '/atlas/higgs',
    'Role=production')``; without a ``Role=`` element the role is ``'None'``. A value that does
    not start with ``/`` (a non-VOMS VO name, or the ``'None'`` of a missing FQAN) is the VO
    itself, with group and role ``'None'``. Values are kept literally (``Role=NULL`` stays).
    """
    first = fqan.split(";", 1)[0]
    if not first.startswith("/"):
        return first, "None", "None"
    pieces = first.split("/")
    group = ""
    role = "None"
    for piece in pieces:
        if not piece:
            continue
        if piece.lower().startswith("role="):
            role = piece
            break
        group += "/" + piece
    return pieces[1], group, role
