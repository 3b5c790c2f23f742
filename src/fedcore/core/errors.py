"""Errors that cross layers, and their RFC 9457 problem-details rendering.

Service functions raise these; the web app turns them into ``application/problem+json`` and the
CLI into one line on standard error with exit code 2. ``field`` names the offending input.
"""

from __future__ import annotations

from typing import Any


class FedcoreError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.field:
            body["errors"] = [{"field": self.field, "message": self.detail}]
        if instance:
            body["instance"] = instance
        return body

    def __str__(self) -> str:
        return f"{self.field}: {self.detail}" if self.field else self.detail


class ValidationFailed(FedcoreError):
    status = 422
    title = "Invalid input"


class NotAuthenticated(FedcoreError):
    status = 401
    title = "Not authenticated"


class Forbidden(FedcoreError):
    status = 403
    title = "Forbidden"


class NotFound(FedcoreError):
    status = 404
    title = "Not found"


class Conflict(FedcoreError):
    status = 409
    title = "Conflict"


class RuleViolation(FedcoreError):
    """A business rule forbids the change (e.g. an illegal certification transition)."""

    status = 409
    title = "Rule violated"


class MethodNotAllowed(FedcoreError):
    status = 405
    title = "Method not allowed"


class NotSupported(FedcoreError):
    """Well formed, but asks for something this server does not implement (HTTP 501)."""

    status = 501
    title = "Not implemented"


class TooLarge(FedcoreError):
    status = 413
    title = "Content too large"
