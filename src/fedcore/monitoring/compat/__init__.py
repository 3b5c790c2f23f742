"""Adapters that speak a peer's protocol over monitoring's service functions
(:mod:`.argo_webapi`: argo-web-api's v2/v3 REST)."""
