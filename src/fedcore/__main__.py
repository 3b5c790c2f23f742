"""``python -m fedcore`` runs the ``fedcore`` command."""

from fedcore.core.cli import main

main()
