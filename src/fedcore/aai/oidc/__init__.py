"""OpenID Connect protocol on Authlib: the authorization server, its grants and endpoints, claims
per scope. Framework-free: ``aai/endpoints.py`` adapts it to Starlette."""
