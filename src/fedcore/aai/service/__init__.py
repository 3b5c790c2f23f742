"""AAI business rules and storage: accounts, keys, clients, tokens; no web framework."""
