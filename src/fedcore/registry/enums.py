"""Registry vocabularies, spelled as GOCDB spells them; ``label``/``colour`` where pages show them."""

from __future__ import annotations

from enum import StrEnum


class CertificationStatus(StrEnum):
    CANDIDATE = "Candidate"
    UNCERTIFIED = "Uncertified"
    CERTIFIED = "Certified"
    SUSPENDED = "Suspended"
    CLOSED = "Closed"

    @property
    def colour(self) -> str:
        return {
            "Candidate": "blue",
            "Uncertified": "amber",
            "Certified": "green",
            "Suspended": "red",
            "Closed": "grey",
        }[self.value]


# GOCDB's CertificationStatus.php, as an explicit graph; operators may make any transition.
CERTIFICATION_TRANSITIONS: dict[CertificationStatus, frozenset[CertificationStatus]] = {
    CertificationStatus.CANDIDATE: frozenset(
        {CertificationStatus.UNCERTIFIED, CertificationStatus.CLOSED}
    ),
    CertificationStatus.UNCERTIFIED: frozenset(
        {
            CertificationStatus.CERTIFIED,
            CertificationStatus.SUSPENDED,
            CertificationStatus.CLOSED,
            CertificationStatus.CANDIDATE,
        }
    ),
    CertificationStatus.CERTIFIED: frozenset(
        {
            CertificationStatus.UNCERTIFIED,
            CertificationStatus.SUSPENDED,
            CertificationStatus.CLOSED,
            CertificationStatus.CANDIDATE,
        }
    ),
    CertificationStatus.SUSPENDED: frozenset(
        {
            CertificationStatus.UNCERTIFIED,
            CertificationStatus.CLOSED,
            CertificationStatus.CANDIDATE,
        }
    ),
    CertificationStatus.CLOSED: frozenset(),
}


class Infrastructure(StrEnum):
    """A site's production status (``PRODUCTION_INFRASTRUCTURE``); SC and PPS are legacy."""

    PRODUCTION = "Production"
    TEST = "Test"
    SC = "SC"
    PPS = "PPS"


class Severity(StrEnum):
    OUTAGE = "OUTAGE"
    WARNING = "WARNING"

    @property
    def colour(self) -> str:
        return "red" if self is Severity.OUTAGE else "amber"


class Classification(StrEnum):
    SCHEDULED = "SCHEDULED"
    UNSCHEDULED = "UNSCHEDULED"


class EntityType(StrEnum):
    """What a role is held over (GOCDB's OwnedEntity types)."""

    PROJECT = "project"
    NGI = "ngi"
    SITE = "site"
    SERVICE_GROUP = "servicegroup"


class RoleType(StrEnum):
    SITE_ADMINISTRATOR = "Site Administrator"
    SITE_SECURITY_OFFICER = "Site Security Officer"
    SITE_OPERATIONS_DEPUTY_MANAGER = "Site Operations Deputy Manager"
    SITE_OPERATIONS_MANAGER = "Site Operations Manager"
    NGI_OPERATIONS_MANAGER = "NGI Operations Manager"
    NGI_OPERATIONS_DEPUTY_MANAGER = "NGI Operations Deputy Manager"
    NGI_SECURITY_OFFICER = "NGI Security Officer"
    REGIONAL_STAFF_ROD = "Regional Staff (ROD)"
    REGIONAL_FIRST_LINE_SUPPORT = "Regional First Line Support"
    COD_STAFF = "COD Staff"
    COD_ADMINISTRATOR = "COD Administrator"
    EGI_CSIRT_OFFICER = "EGI CSIRT Officer"
    CHIEF_OPERATIONS_OFFICER = "Chief Operations Officer"
    SERVICE_GROUP_ADMINISTRATOR = "Service Group Administrator"

    @property
    def entity_type(self) -> EntityType:
        return ROLE_ENTITY_TYPE[self]


SITE_ROLES = frozenset(
    {
        RoleType.SITE_ADMINISTRATOR,
        RoleType.SITE_SECURITY_OFFICER,
        RoleType.SITE_OPERATIONS_DEPUTY_MANAGER,
        RoleType.SITE_OPERATIONS_MANAGER,
    }
)
NGI_ROLES = frozenset(
    {
        RoleType.NGI_OPERATIONS_MANAGER,
        RoleType.NGI_OPERATIONS_DEPUTY_MANAGER,
        RoleType.NGI_SECURITY_OFFICER,
        RoleType.REGIONAL_STAFF_ROD,
        RoleType.REGIONAL_FIRST_LINE_SUPPORT,
    }
)
PROJECT_ROLES = frozenset(
    {
        RoleType.COD_STAFF,
        RoleType.COD_ADMINISTRATOR,
        RoleType.EGI_CSIRT_OFFICER,
        RoleType.CHIEF_OPERATIONS_OFFICER,
    }
)
ROLE_ENTITY_TYPE: dict[RoleType, EntityType] = {
    **{role: EntityType.SITE for role in SITE_ROLES},
    **{role: EntityType.NGI for role in NGI_ROLES},
    **{role: EntityType.PROJECT for role in PROJECT_ROLES},
    RoleType.SERVICE_GROUP_ADMINISTRATOR: EntityType.SERVICE_GROUP,
}


class RoleStatus(StrEnum):
    PENDING = "STATUS_PENDING"
    GRANTED = "STATUS_GRANTED"
    REJECTED = "STATUS_REJECTED"
    REVOKED = "STATUS_REVOKED"


class CredentialKind(StrEnum):
    X509 = "X.509"
    OIDC_SUBJECT = "OIDC Subject"
