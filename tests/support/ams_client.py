"""Publishing to a fedcore server's AMS-compatible endpoint with ARGO's own client library.

:func:`publish_with_ams_library` runs ``tests/interop/clients/ams_publish.py`` in the
argo-ams-library client environment (through the interop tests' ``run_client``, which trusts
the test CA). The library posts each message to
``https://<host:port>/v1/projects/<project>/topics/<topic>:publish`` with the token in the
``x-api-key`` header, which is what APEL's ``ssmsend`` (``protocol: AMS``) and ARGO's
ams-publisher send.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.support.server import FedcoreServer

RunClient = Callable[..., subprocess.CompletedProcess[str]]


def publish_with_ams_library(
    run_client: RunClient,
    server: FedcoreServer,
    *,
    token: str,
    project: str,
    topic: str,
    messages: Sequence[tuple[Path, Mapping[str, str]]],
) -> dict[str, Any]:
    """Publish each (file, attributes) as one AMS message, one request each, in order.

    The answer: ``{"published": [messageIds of each request]}``, plus ``"refused": {"index",
    "status_code", "message"}`` when the server refused a request (the later ones are not sent).
    """
    done = run_client(
        "argo-ams-library",
        "ams_publish.py",
        HOST=f"127.0.0.1:{server.port}",
        TOKEN=token,
        PROJECT=project,
        TOPIC=topic,
        MESSAGES=json.dumps(
            [{"file": str(path), "attributes": dict(attributes)} for path, attributes in messages]
        ),
    )
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer
