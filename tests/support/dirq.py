"""Reading a dirq ``QueueSimple`` directory: cASO's ``[ssm] output_path`` and APEL ssm's outgoing
queue, whose elements are the messages ``ssmsend`` sends; and having cASO fill one.

The layout (python-dirq, ``dirq/QueueBase.py`` and ``dirq/QueueSimple.py``): one subdirectory per
minute named by 8 hex digits, in it one file per element named by 14 hex digits (the time of
its creation, then random digits); ``.tmp`` files are being written and ``.lck`` files mark a
locked element, so neither is a message.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.ams_client import RunClient

_DIRECTORY = re.compile(r"[0-9a-f]{8}")
_ELEMENT = re.compile(r"[0-9a-f]{14}")


def caso_messages(directory: Path) -> list[Path]:
    """The message files of the queue in DIRECTORY, in the order they were added."""
    return sorted(
        element
        for subdirectory in directory.iterdir()
        if subdirectory.is_dir() and _DIRECTORY.fullmatch(subdirectory.name)
        for element in subdirectory.iterdir()
        if element.is_file() and _ELEMENT.fullmatch(element.name)
    )


def produce_caso_queue(run_client: RunClient, directory: Path) -> Path:
    """DIRECTORY made the dirq queue cASO's SSM messenger writes at a site, by cASO itself
    (``tests/interop/clients/caso_producer.py`` in cASO's environment): one cloud, one public
    IP, one accelerator and one StAR message of site ``CASO-CLOUD-01``."""
    run_client("caso", "caso_producer.py", OUTPUT_PATH=str(directory))
    return directory
