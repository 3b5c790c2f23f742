"""The demo monitoring as ``fedcore demo`` loads it (a real process on a temporary SQLite file):
the report, its eight computed days, every site's daily A/R, the story's states and the
approved recomputation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from fedcore.core.db import make_engine, make_sessionmaker, session_scope
from fedcore.monitoring import service
from fedcore.monitoring.enums import Level
from fedcore.monitoring.models import DailyAR, StatusTimeline
from fedcore.registry import service as registry
from tests.core.test_cli import fedcore


def test_demo_loads_and_computes_a_week_of_monitoring(tmp_path: Path) -> None:
    demo = fedcore(tmp_path, "demo")
    assert demo.returncode == 0, demo.stderr
    assert "demo monitoring: report Critical (NGI > SITES) over 12 sites" in demo.stdout
    engine = make_engine(f"sqlite:///{tmp_path}/fedcore.sqlite")
    with session_scope(make_sessionmaker(engine)) as db:
        days = service.computed_days(session=db, report="Critical")
        today = days[-1].day
        assert [d.day for d in days] == [today - timedelta(days=n) for n in range(7, -1, -1)]
        assert [d.complete for d in days] == [True] * 7 + [False]
        sites = {site.short_name for site in registry.list_sites(session=db, limit=1000).items}
        rows = db.scalars(select(DailyAR).where(DailyAR.level == Level.GROUP)).all()
        for day in days:
            assert {r.group for r in rows if r.day == day.day} == sites
        assert {r.group for r in rows if r.availability < 80} >= {"DESY-HH", "UNIBE-LHEP"}
        states = {
            state
            for line in db.scalars(
                select(StatusTimeline.timeline).where(StatusTimeline.level == Level.GROUP)
            )
            for _, state in line
        }
        assert states == {"OK", "WARNING", "UNKNOWN", "MISSING", "CRITICAL", "DOWNTIME"}
        assert db.scalar(select(StatusTimeline.id).where(StatusTimeline.has_threshold)) is not None
        [recomputation] = service.list_recomputations(session=db, report="Critical")
        assert recomputation.status == "approved"
        assert recomputation.document["exclude"] == ["UNIBE-LHEP"]
        excluded_day = recomputation.start_time.date()
        [unibe] = [r for r in rows if r.group == "UNIBE-LHEP" and r.day == excluded_day]
        assert unibe.unknown > 0
    engine.dispose()
