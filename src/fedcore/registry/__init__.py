"""The service registry: the federation's topology (fedcore's GOCDB).

Owns (tables ``registry_*``):

* **projects** (e.g. EGI) <-> **NGIs** (operations centres, "ROC" in the PI) -> **sites**
  (resource centres; short name is the identity APEL and ARGO key on, GOCDB primary key such as
  ``119G0`` kept forever) with certification status, its allowed transitions and a change log;
* **service types**, **services** (one host x one type, at exactly one site) and their
  **endpoints** (several per service, name unique within the service);
* **service groups** (services from any site), **scopes** (tags on NGIs, sites, services,
  service groups; some reserved to operators), **extension properties** (key/value on sites,
  services, endpoints, service groups; key unique per parent);
* **downtimes** of one site's services and endpoints, with GOCDB's rules: classification computed
  (SCHEDULED when declared more than 24 h ahead), severity OUTAGE or WARNING, at most 48 h
  back-dated, never extended, no edit or delete of a SCHEDULED downtime within 24 h of its start,
  "end now" = now + 60 s;
* **users** (identified by a stable subject string; contact data shown in the PI), **roles** over
  projects, NGIs, sites and service groups with the request -> grant / reject / revoke workflow and
  GOCDB's role-action matrix (``permissions.py``), an audit trail of role decisions, and site
  **API credentials** (X.509 DN or OIDC subject) that unlock the write API and private PI methods.

Surfaces: service functions (``service``), REST under ``/api/registry/``, pages under
``/registry/``, the GOCDB Programmatic Interface (``compat/gocdbpi``: ``/gocdbpi/public/``,
``/gocdbpi/private/`` and the v5 write API), an iCalendar downtime feed, and
``fedcore registry ...`` commands including ``import-gocdb``.
"""
