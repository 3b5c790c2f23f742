"""Federated AAI, part 1: fedcore's OpenID provider (the Check-in of fedcore).

What it owns (tables ``aai_*``; reference: shared ``aai-discovery-cloud.md`` Part A):

* **Account**: one person. ``voperson_id`` = ``<32 hex>@<FEDCORE_AAI_DOMAIN>`` is minted once,
  never changes, is never reassigned, and is the OIDC ``sub`` of every token about the person.
  Profile claims (name, e-mail, ORCID, SSH keys, affiliation, assurance) live here.
* **Identity**: a way to sign in to an account: ``(issuer, subject)``; ``issuer = "local"`` for
  the built-in source (**LocalCredential**: login e-mail, argon2 password hash, optional TOTP
  secret), or an upstream OpenID provider's issuer. Several identities link to one account.
* **EmailToken**: one-time links for e-mail verification and password reset (hashed).
* **LoginSession**: a browser session at the provider (its id is ``op_sid`` in the signed
  ``fedcore_session`` cookie)
  with ``auth_time`` and ``amr``; RP-initiated logout ends it.
* **SigningKey**: JWKs in the database (RS256 default, ES256 available). A key is published in
  the JWKS from creation, signs from ``active_from`` (``fedcore aai keys rotate`` publishes the
  next key ahead of use) and stays published until ``expires_at`` = retirement + the longest token
  lifetime, so every token it signed can still be verified.
* **Client**: an OIDC client: confidential (SHA-256 of a 256-bit secret) or public, exact redirect
  URIs (https except loopback), allowed grants and scopes, PKCE requirement, status
  pending/approved/rejected/suspended (operators approve). A client with the
  ``client_credentials`` grant is a **service account**: stable ``sub``
  ``<hex>@<domain>`` and operator-assigned entitlements.
* **Consent**: the scopes an account granted a client (asked once per new scope).
* **AuthorizationCode**, **DeviceCode** : pending grants (hashed, single-use). A code redeemed
  twice revokes the token grant it produced (RFC 9700 §4.5).
* **TokenGrant**: one issued grant ("family"): account, client, scopes, how it started. Every
  access token carries its grant id as ``gid``; revoking the grant (logout, user, reuse
  detection) refuses all its tokens at once. **RefreshToken** rows belong to a grant, are
  rotated on every use, and presenting a rotated one revokes the whole family.
* **RevokedToken**: single access tokens revoked by RFC 7009 (``jti`` until ``exp``).

Access tokens are RFC 9068 JWTs (``typ: at+jwt``, ``kid``; ``iss sub aud exp iat jti client_id
scope``), one hour by default. Claims per scope follow reference §A.5; userinfo and
introspection compute them from the current database state.

Protocol endpoints (relative to ``FEDCORE_ISSUER``, see ``aai/oidc``): discovery
``/.well-known/openid-configuration``; ``/oidc/jwks``, ``/oidc/authorize``, ``/oidc/token``
(authorization_code + PKCE, refresh_token, device_code, client_credentials, token-exchange),
``/oidc/device`` (RFC 8628), ``/oidc/userinfo``, ``/oidc/introspect`` (RFC 7662, confidential
clients), ``/oidc/revoke`` (RFC 7009), ``/oidc/logout`` (RP-initiated). Pages: ``/aai/signup``,
``/aai/login``, ``/aai/account``, ``/aai/device``, ``/aai/clients``,
``/aai/upstream/<name>/...`` (sign-in through an upstream provider, first login, linking), and
the communities' ``/aai/vos``, ``/aai/groups/<path>`` (administration, joining, applications)
and ``/aai/invitations/<token>``; their REST API is ``/api/aai`` (``aai/api``), described in
``docs/aai-communities.md``.

Layers: ``oidc/`` holds protocol code on Authlib (server, grants, endpoints; no web framework);
``service/`` the business rules and storage (claims per scope included); ``http`` adapts
Starlette requests and responses to the protocol code; ``endpoints`` the protocol routes;
``views`` the pages; ``api`` the communities' REST API; ``cli`` ``fedcore aai ...``; ``jobs``
the background jobs (membership reminders and expiry, housekeeping).
"""
