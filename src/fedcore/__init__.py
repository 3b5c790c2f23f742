"""fedcore: the federation core of a research e-infrastructure.

Subsystems: ``registry`` (sites, services, downtimes; GOCDB-compatible). ``core`` holds the
plumbing every subsystem shares: configuration, database, security, web app and CLI.
"""
