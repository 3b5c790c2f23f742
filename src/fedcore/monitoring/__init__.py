"""Monitoring: status timelines and availability/reliability (A/R), computed as ARGO computes them.

Federations judge every site by its monthly A/R from probe results, so the numbers here must be
exact and explainable, and equal to ARGO's on ARGO's own data (``../shared/reference/
monitoring.md``, "the reference" below; fixtures in ``../shared/conformance/argo/``).

What the subsystem owns
-----------------------
- **Profiles**, versioned by date (the computation of a day reads the version valid that day),
  stored as ARGO's JSON documents and accepted only if the engine loads them (§1.4):
  *operations* (states, the down/missing/unknown roles, truth tables; complete, commutative and
  associative), *metric* (service type -> metrics), *aggregation* (metric operation, function
  groups of service types with their operations, profile operation), *thresholds* (§5.3).
- **Reports**: profiles by name, ``topology_schema`` (e.g. NGI > SITES), ``filter_tags``,
  ``computations``, display targets (A >= 80 %, R >= 85 %), the source of group weights.
- **Topology** is not stored here: endpoints (hostname + service type, with tags), endpoint
  groups (sites, service groups), supergroups (NGIs, projects) and scheduled-outage downtimes
  are read from the registry's service layer for the day computed (§1.3, §5.1).
- **Metric results** in: ARGO ``MetricData`` records (§1.2), posted as JSON batches or through
  an AMS-compatible publish endpoint (Avro, base64); one row per (timestamp, hostname, service
  type, metric, monitoring host), so a batch sent twice is stored once.
- **Recomputations** (§5.2) with ARGO's workflow (pending, approved, running, done).
- **Results** out, per report and day: status change points at every level (metric, endpoint,
  service, function, endpoint group) and daily A/R of endpoints, services and endpoint groups,
  kept with the integer seconds per state; monthly, custom-period and supergroup (NGI) values
  derived from them at query time (§9). Historical ARGO A/R documents can be imported.
- **argo-web-api compatibility** (§12): ``/api/v2/reports``, ``/api/v2/results/...``,
  ``/api/v2/status/...``, ``/api/v3/results/{report}``, ``/api/v3/status/{report}``, with ARGO's
  shapes and string numbers, so argo-mon-library and existing dashboards read fedcore.

Operators edit profiles, reports and recomputations on pages under ``/monitoring/`` (new
versions from pasted or uploaded ARGO JSON, the workflow's decisions) through the same service
functions as the REST API; anyone reads them.

The layers follow the other subsystems (models, service, api, views, cli, compat): the service
reads profiles, topology, downtimes, recomputations and results, calls the engine, and stores
what it returns; a job recomputes the current day hourly and finalises the previous day. The
engine below knows nothing of the database or the web.

Decisions on ARGO's quirks (reference §5.3, §6, §9; kept so that numbers equal ARGO's): the
threshold range convention (inside the range alerts, the opposite of Nagios); ``-1`` for an
undefined daily A or R; ``EXCLUDED`` counts as not up (an all-day excluded entity has A = R = 0);
the ``1.00000001`` epsilon of monthly values. Departures: group weights are the configured ones
(ARGO's current engine writes 0); the most specific threshold rule that exists is used (ARGO,
for some mixes of host and group rules, falls back to a less specific rule or to none).

The engine (pure modules, no database or web import)
----------------------------------------------------
- :mod:`.states`: states, ``EXCLUDED``, operations profiles and validated truth tables.
- :mod:`.timelines`: event-interval timelines of a day; ``combine`` (the one aggregation
  primitive), ``overlay`` (downtimes, recomputations), ``durations``.
- :mod:`.thresholds`: threshold rules, ranges, perfdata.
- :mod:`.profiles`: metric and aggregation profiles.
- :mod:`.topology`: the report's topology (filter tags), downtimes, weights.
- :mod:`.recomputations`: monitoring-source exclusions, applied status changes (most specific
  selector wins), metric and group exclusions.
- :mod:`.pipeline`: the daily computation of §2, step by step (:func:`.pipeline.compute_day`).
- :mod:`.ar`: daily A/R with ARGO's rounding; monthly, custom-period and supergroup values.
- :mod:`.replay`: a conformance case file in, results in the case's ``expected`` layout out
  (``fedcore monitoring replay CASE.json``).
"""
