"""``GET /api/accounting/reports``: the §3 pivot of a metric by rows and columns over months,
as JSON or CSV (docs/accounting.md, "Reports")."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from fedcore.accounting.reports import Report
from fedcore.accounting.service import reports as service
from fedcore.core.deps import CurrentPrincipal, DbSession

router = APIRouter()


class ReportParameters(BaseModel):
    """A report's URL parameters; ``from`` and ``to`` are months, ``YYYY-MM``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    metric: str = Field(description="number_of_jobs, sum_cpu, normalized_sum_cpu, ...")
    rows: str = Field(description="site, ngi, country, vo, vo_group, vo_role, user, ...")
    columns: str = Field(default="month", description="month, quarter or year")
    start: str | None = Field(
        default=None, alias="from", description="first month, YYYY-MM; default: 12 months to `to`"
    )
    end: str | None = Field(
        default=None, alias="to", description="last month, YYYY-MM; default: this month (UTC)"
    )
    site: str | None = None
    ngi: str | None = None
    country: str | None = None
    vo: str | None = None
    infrastructure: str | None = None
    user: str | None = Field(default=None, description="a user's DN (personal data)")
    format: Literal["json", "csv"] = "json"


class TotalsRead(BaseModel):
    rows: list[int | float | None] = Field(description="per row, in the order of rows")
    columns: list[int | float | None] = Field(description="per column, in the order of columns")
    grand: int | float | None


class PeriodRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    start: str = Field(serialization_alias="from")
    end: str = Field(serialization_alias="to")


class ReportRead(BaseModel):
    metric: str
    unit: str
    period: PeriodRead
    rows: list[str]
    columns: list[str]
    cells: list[list[int | float | None]] = Field(description="cells[row][column]; null: no record")
    totals: TotalsRead


def _read(answer: Report) -> ReportRead:
    table = answer.pivot
    start, end = answer.period
    return ReportRead(
        metric=answer.query.metric.name,
        unit=answer.query.metric.unit,
        period=PeriodRead(start=start, end=end),
        rows=table.rows,
        columns=table.columns,
        cells=table.cells,
        totals=TotalsRead(rows=table.row_totals, columns=table.column_totals, grand=table.total),
    )


def _csv(answer: Report) -> str:
    table = answer.pivot
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([answer.query.rows, *table.columns, "total"])
    for label, cells, total in zip(table.rows, table.cells, table.row_totals, strict=True):
        writer.writerow([label, *("" if v is None else v for v in cells), total])
    return out.getvalue()


@router.get(
    "/reports",
    summary="A metric by rows and columns over months (the accounting portal's pivot)",
    description="JSON by default; `format=csv` gives text/csv: a header line (the rows' "
    "dimension, the columns, `total`), then one line per row. Per-user answers (`rows=user` "
    "or `user=`) are for operators, a VO's managers with `vo=`, a site's administrators with "
    "`site=`, and a user asking `user=` their own name.",
    response_model=ReportRead,
    response_model_by_alias=True,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def get_report(
    session: DbSession, actor: CurrentPrincipal, parameters: Annotated[ReportParameters, Query()]
) -> ReportRead | Response:
    query = service.query_from(
        metric=parameters.metric,
        rows=parameters.rows,
        columns=parameters.columns,
        start=parameters.start,
        end=parameters.end,
        filters={
            "site": parameters.site,
            "ngi": parameters.ngi,
            "country": parameters.country,
            "vo": parameters.vo,
            "infrastructure": parameters.infrastructure,
            "user": parameters.user,
        },
    )
    answer = service.report(session=session, actor=actor, query=query)
    if parameters.format == "csv":
        return Response(_csv(answer), media_type="text/csv")
    return _read(answer)
