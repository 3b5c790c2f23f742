"""Structured logging: one JSON object per line and event, timestamps in UTC with ``Z``.

Tokens never reach the log: the values of the query parameters that carry one (``key``, as
AMS clients send it, and ``access_token``) are masked in every line, uvicorn's access log
included."""

from __future__ import annotations

import logging
import re
import sys

import structlog

TOKEN_IN_QUERY = re.compile(r"([?&;](?:key|access_token)=)[^&;\s\"']+", re.IGNORECASE)


class MaskTokens(logging.Filter):
    """Mask the token values of query parameters in a record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            message = record.getMessage()
            masked = TOKEN_IN_QUERY.sub(r"\1***", message)
            if masked != message:
                record.msg, record.args = masked, None
        return True


MASK_TOKENS = MaskTokens()


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer()
    )
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="%Y-%m-%dT%H:%M:%S.%fZ", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    handler.addFilter(MASK_TOKENS)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
        logger.addFilter(MASK_TOKENS)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger


def _standard_error(*_: object) -> structlog.PrintLogger:
    return structlog.PrintLogger(sys.__stderr__)


# Until configure_logging runs (``fedcore serve`` calls it), warnings and errors go to the
# process's standard error, so that a command's standard output stays its answer (an export, a
# JSON line); a command says what it did itself.
structlog.configure(
    logger_factory=_standard_error,
    wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
)
