"""Parsers of every message format APEL accepts (reference §1); pure, no database."""
