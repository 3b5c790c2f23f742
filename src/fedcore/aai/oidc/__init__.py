"""OpenID Connect protocol on Authlib: the authorization server, its grants and endpoints, and
the discovery document. Framework-free: ``aai/http.py`` adapts it to Starlette for the protocol
routes (``aai/endpoints``) and the browser-facing pages (``aai/views``)."""
