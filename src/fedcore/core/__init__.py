"""Plumbing shared by every subsystem: configuration, database, security, web app, CLI."""
