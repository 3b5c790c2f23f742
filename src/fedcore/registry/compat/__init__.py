"""Adapters that speak GOCDB's protocols over the registry's service functions."""
