"""Publish files as AMS messages with argo-ams-library, as APEL's ``ssmsend`` does with
``protocol: AMS`` (ssm/ssm2.py, ``_send_msg_ams``): one ``AmsMessage(data=..., attributes=...)``
per publish request, the library base64-encoding the data; print what the service answered.

Run with the argo-ams-library client environment's interpreter. Environment: ``HOST``
(``host:port``; the library always speaks HTTPS and reads the CA bundle from
``REQUESTS_CA_BUNDLE``), ``TOKEN`` (sent by the library in the ``x-api-key`` header),
``PROJECT``, ``TOPIC`` and ``MESSAGES``: a JSON list of ``{"file": path, "attributes": {...}}``.

Prints one JSON object: ``{"published": [<the messageIds of each request>, ...]}``, or, when
the service refuses a request, the answers before it and
``"refused": {"index", "status_code", "message"}``, the library's reading of the AMS error.
"""

import json
import os
from pathlib import Path

from argo_ams_library import AmsMessage, AmsServiceException, ArgoMessagingService

ams = ArgoMessagingService(
    endpoint=os.environ["HOST"], token=os.environ["TOKEN"], project=os.environ["PROJECT"]
)
published = []
answer = {"published": published}
for index, message in enumerate(json.loads(os.environ["MESSAGES"])):
    data = Path(message["file"]).read_bytes()
    body = AmsMessage(data=data, attributes=message["attributes"]).dict()
    try:
        reply = ams.publish(os.environ["TOPIC"], body, timeout=10)
    except AmsServiceException as error:
        answer["refused"] = {
            "index": index,
            "status_code": getattr(error, "code", None),
            "message": error.msg,
        }
        break
    published.append(reply["messageIds"])
print(json.dumps(answer))
