"""``fedcore aai ...`` commands: signing keys, clients and service accounts, accounts."""

from __future__ import annotations

import typer

app = typer.Typer(help="Federated AAI (OpenID provider).", no_args_is_help=True)
