"""Obtain an access token with keystoneauth1's OIDC client-credentials plugin, as an OpenStack
client would before trading it for a Keystone token; print it as JSON.

Run with the keystoneauth1 client environment's interpreter. Environment: ``ISSUER``,
``CLIENT_ID``, ``CLIENT_SECRET``, ``SCOPE``, ``CA_FILE``. Keystone itself is never contacted on
this path, so ``auth_url`` is a placeholder.
"""

import json
import os

from keystoneauth1 import loading, session

sess = session.Session(verify=os.environ["CA_FILE"])
plugin = loading.get_plugin_loader("v3oidcclientcredentials").load_from_options(
    auth_url="https://keystone.invalid/v3",
    identity_provider="fedcore",
    protocol="openid",
    client_id=os.environ["CLIENT_ID"],
    client_secret=os.environ["CLIENT_SECRET"],
    discovery_endpoint=os.environ["ISSUER"] + "/.well-known/openid-configuration",
    scope=os.environ["SCOPE"],
)
# What get_unscoped_auth_ref does before it contacts Keystone: check that discovery lists the
# plugin's grant type, build the payload (it adds grant_type only there), fetch the token.
discovery = plugin._get_discovery_document(sess)
payload = plugin.get_payload(sess)
payload.setdefault("grant_type", plugin.grant_type)
token = plugin._get_access_token(sess, payload)
print(
    json.dumps(
        {
            "access_token": token,
            "grant_type": plugin.grant_type,
            "grant_types_supported": discovery.get("grant_types_supported"),
        }
    )
)
