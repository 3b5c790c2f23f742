"""Monitoring's service functions: every query and business rule of the subsystem.

Entry points (REST, CLI, jobs) call these; they take keyword-only ``session`` (and ``actor``
for changes), flush but never commit, and check permissions themselves. The registry is read
through its own service functions only (:mod:`.topology`).
"""

from fedcore.monitoring.service.computation import (
    compute,
    compute_due,
    compute_report_day,
    computed_days,
    day_input,
)
from fedcore.monitoring.service.profiles import (
    check_document,
    create_profile,
    delete_profile,
    get_profile,
    list_profiles,
    profile_on,
    update_profile,
)
from fedcore.monitoring.service.recomputations import (
    DECISIONS,
    argo_document,
    create_recomputation,
    decide_recomputation,
    delete_recomputation,
    get_recomputation,
    list_recomputations,
    shown_document,
)
from fedcore.monitoring.service.reports import (
    create_report,
    delete_report,
    get_report,
    list_reports,
    profile_names,
    report_on,
    update_report,
)
from fedcore.monitoring.service.results import (
    decode_message,
    publish_messages,
    results_between,
    store_metric_data,
)
from fedcore.monitoring.service.topology import registry_downtimes, registry_topology

__all__ = [name for name in dir() if not name.startswith("_")]
