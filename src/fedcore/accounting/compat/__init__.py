"""Adapters that speak the accounting peers' protocols: APEL SSM's S/MIME-signed messages
(:mod:`.smime`)."""
