"""`flask ledger ...`, the service functions behind them, and GET /metrics/ledger."""

from __future__ import annotations

import json
from datetime import timedelta

import time_machine
from sqlalchemy import select, update

from portal.clock import utcnow
from portal.extensions import db
from portal.ledger import services
from portal.ledger.models import EventState, LedgerEvent
from tests.ledger.conftest import cases_with_events, count


def _kill_one() -> LedgerEvent:
    event = db.session.scalar(select(LedgerEvent).order_by(LedgerEvent.sequence.desc()))
    event.move_to(EventState.dead)
    event.dead_at, event.last_error = utcnow(), "HTTP 422 unknown_case"
    db.session.commit()
    return event


def test_relay_once_appends_to_the_local_file_and_exits(ctx, fast, runner, tmp_path, monkeypatch):
    path = tmp_path / "events.jsonl"
    monkeypatch.setitem(fast, "LEDGER_URL", f"file://{path}")
    cases_with_events(2, 3)
    result = runner.invoke(args=["ledger", "relay", "--once"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 6 and len({e["id"] for e in lines}) == 6
    assert count(EventState.delivered) == 6


def test_status_reports_the_figures_and_warns_on_lag(ctx, fast, runner):
    cases_with_events(1, 2)
    result = runner.invoke(args=["ledger", "status"])
    assert result.exit_code == 0 and "pending events:      2" in result.output
    with time_machine.travel(utcnow() + timedelta(seconds=901), tick=False):
        result = runner.invoke(args=["ledger", "status"])
        assert result.exit_code == 1
        assert "older than 900 s" in result.output
        assert services.status().lagging


def test_dead_letters_are_listed_and_requeued(ctx, runner):
    cases_with_events(1, 2)
    dead = _kill_one()
    listing = runner.invoke(args=["ledger", "dead-letters"])
    assert dead.id in listing.output and "422 unknown_case" in listing.output
    assert runner.invoke(args=["ledger", "status"]).exit_code == 1
    refused = runner.invoke(args=["ledger", "requeue", "no-such-id"])
    assert refused.exit_code != 0 and "not dead letters: no-such-id" in refused.output
    assert count(EventState.dead) == 1
    done = runner.invoke(args=["ledger", "requeue", dead.id])
    assert done.exit_code == 0 and "requeued 1" in done.output
    assert count(EventState.dead) == 0 and count(EventState.pending) == 2


def test_requeue_all_needs_the_flag(ctx, runner):
    cases_with_events(2, 1)
    db.session.execute(update(LedgerEvent).values(state=EventState.dead, dead_at=utcnow()))
    db.session.commit()
    assert runner.invoke(args=["ledger", "requeue"]).exit_code != 0
    assert runner.invoke(args=["ledger", "requeue", "--all"]).exit_code == 0
    assert count(EventState.pending) == 2


def test_metrics_need_the_token_and_speak_prometheus(ctx, app, client, monkeypatch):
    cases_with_events(1, 3)
    _kill_one()
    monkeypatch.setitem(app.config, "METRICS_TOKEN", None)
    assert client.get("/metrics/ledger").status_code == 404
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "t" * 32)
    assert client.get("/metrics/ledger", headers={"Authorization": "Bearer wrong"}).status_code == 401
    response = client.get("/metrics/ledger", headers={"Authorization": "Bearer " + "t" * 32})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert "# TYPE ledger_events_pending gauge\nledger_events_pending 2\n" in text
    assert "\nledger_dead_letters 1\n" in text and "ledger_oldest_pending_age_seconds " in text


def test_purge_deletes_only_delivered_events_past_the_window(ctx, fast, runner, tmp_path, monkeypatch):
    monkeypatch.setitem(fast, "LEDGER_URL", f"file://{tmp_path / 'events.jsonl'}")
    cases_with_events(2, 2)
    assert runner.invoke(args=["ledger", "relay", "--once"]).exit_code == 0
    cases_with_events(1, 1)
    pending = db.session.scalar(select(LedgerEvent).where(LedgerEvent.state == EventState.pending))
    pending.move_to(EventState.dead)  # a dead letter stays, however old
    db.session.commit()
    assert runner.invoke(args=["ledger", "purge", "--older-than", "0"]).exit_code != 0
    kept = runner.invoke(args=["ledger", "purge", "--older-than", "30"])
    assert kept.exit_code == 0 and "purged 0 delivered events" in kept.output
    with time_machine.travel(utcnow() + timedelta(days=31), tick=False):
        done = runner.invoke(args=["ledger", "purge", "--older-than", "30"])
    assert done.exit_code == 0 and "purged 4 delivered events" in done.output, done.output
    assert count(EventState.delivered) == 0 and count(EventState.dead) == 1
