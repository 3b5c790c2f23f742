"""A resource server protected by flaat, as a research service would write it.

Run with the flaat client environment's interpreter. Environment: ``TRUSTED_ISSUER`` (the only
OpenID provider whose tokens are accepted), ``VO_ENTITLEMENT`` (the AARC entitlement /vo
requires), ``ROLE_ENTITLEMENT`` (the one /vm requires: a VO role), ``PORT``; ``REQUESTS_CA_BUNDLE`` and ``SSL_CERT_FILE`` must trust the provider's CA.
"""

import os

import uvicorn
from fastapi import FastAPI, Request
from flaat.fastapi import Flaat
from flaat.requirements import get_vo_requirement

flaat = Flaat()
flaat.set_trusted_OP_list([os.environ["TRUSTED_ISSUER"]])
flaat.set_request_timeout(10)

app = FastAPI()


@app.get("/ready")
def ready():
    return {"status": "ok"}


@app.get("/authenticated")
@flaat.is_authenticated()
def authenticated(request: Request):
    return {"status": "authenticated"}


@app.get("/vo")
@flaat.requires(get_vo_requirement(os.environ["VO_ENTITLEMENT"], "eduperson_entitlement"))
def vo_member(request: Request):
    return {"status": "member"}


@app.get("/vm")
@flaat.requires(get_vo_requirement(os.environ["ROLE_ENTITLEMENT"], "eduperson_entitlement"))
def vm_operator(request: Request):
    return {"status": "vm operator"}


@app.get("/infos")
@flaat.inject_user_infos(key="infos")
def infos(request: Request, infos=None):
    return {
        "subject": infos.subject,
        "issuer": infos.issuer,
        "user_info": infos.user_info,
        "access_token": infos.access_token_info.body if infos.access_token_info else None,
    }


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning")
