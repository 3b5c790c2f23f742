"""Read reports, A/R and status with argo-mon-library, as an ARGO dashboard or script would;
print what the library returns as JSON.

Run with the argo-mon-library client environment's interpreter. Environment: ``HOST``
(``host:port``; the library always speaks HTTPS), ``API_KEY``, and ``QUERIES``: a JSON list of
``{"report", "start", "end", "granularity", "what"}`` with ``what`` ``results`` or ``status``
and the days as ``YYYY-MM-DD``.
"""

import json
import os
from datetime import datetime

from argo_mon_library import ArgoMonitoringService

mon = ArgoMonitoringService(os.environ["HOST"], os.environ["API_KEY"])


def day(text, end=False):
    moment = datetime.strptime(text, "%Y-%m-%d")  # noqa: DTZ007 (the library appends Z itself)
    return moment.replace(hour=23, minute=59, second=59) if end else moment


def results_of(entries, fractions):
    rows = []
    for entry in entries:
        row = [entry.date.strftime("%Y-%m-%d"), entry.availability, entry.reliability]
        if fractions:
            row += [entry.uptime, entry.downtime, entry.unknown]
        rows.append(row)
    return rows


def statuses_of(entries):
    return [[s.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"), s.value] for s in entries]


output = {
    "reports": [
        {
            "id": report.id,
            "name": report.name,
            "description": report.description,
            "tenant": report.tenant,
            "disabled": report.disabled,
            "created_on": report.created_on.isoformat(),
            "supergroup_type": report.topology_schema.group.type,
            "group_type": report.topology_schema.group.group.type,
            "profiles": sorted([p.type, p.name] for p in report.profiles.values()),
            "availability_target": report.thresholds.availability,
        }
        for report in mon.reports
    ],
    "answers": [],
}
for query in json.loads(os.environ["QUERIES"]):
    mon.period(day(query["start"]), day(query["end"], end=True), query["granularity"])
    report = mon.reports.by_name(query["report"])
    if query["what"] == "results":
        answer = [
            {
                "name": supergroup.name,
                "type": supergroup.type,
                "results": results_of(supergroup.results.values(), False),
                "groups": [
                    {
                        "name": group.name,
                        "type": group.type,
                        "results": results_of(group.results.values(), True),
                    }
                    for group in supergroup.groups.values()
                ],
            }
            for supergroup in report.results.supergroups.values()
        ]
    else:
        answer = [
            {
                "name": group.name,
                "type": group.type,
                "statuses": statuses_of(group.statuses.values()),
                "endpoints": [
                    {
                        "name": endpoint.name,
                        "service": endpoint.service,
                        "id": endpoint.id,
                        "url": endpoint.url,
                        "statuses": statuses_of(endpoint.statuses.values()),
                    }
                    for endpoint in group.endpoints.values()
                ],
            }
            for group in report.status.groups.values()
        ]
    output["answers"].append(answer)
print(json.dumps(output))
