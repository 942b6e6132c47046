"""The relay: drains the outbox to the ledger in batches, in order per case, exactly once in effect.

Several relays may run against PostgreSQL. Each claims whole cases with a lease on their
`LedgerStream` row (SELECT ... FOR UPDATE SKIP LOCKED, then an UPDATE that re-checks the
lease), so no two relays ever send events of one case at the same time, and a relay that
is killed simply lets its leases run out (LEDGER_LEASE_SECONDS) for another to take over.
The lease outlives the HTTP timeout by design: a relay renews when a third of it is used,
so at least two thirds (> LEDGER_TIMEOUT_SECONDS) remain for every send. Leases compare
wall clocks: keep relay hosts on NTP.

On SQLite only one relay may run (it has no SKIP LOCKED, and one writer at a time):
`register` refuses a second one while the first has a fresh heartbeat.

Answers (see the contract): 200 marks the batch delivered; 409 sequence_gap puts the
ledger's missing events of that case back to pending and resends the rest; 422 makes that
one event a dead letter and resends the rest (later events of its case wait behind it);
401/403/404/405 back off and alert; other 4xx split the batch until the one event at fault
is found; 429/5xx/timeouts/dropped connections back off exponentially with jitter,
honouring Retry-After, and only after LEDGER_RETRY_HORIZON_SECONDS (72 h) of failures
does an event become a dead letter.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import String, func, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError

from portal.cases.models import Case
from portal.clock import utcnow
from portal.errors.unavailable import reset_session
from portal.extensions import db
from portal.ledger.models import EventState, LedgerEvent, LedgerRelay, LedgerStream
from portal.ledger.transports import Answer, TransportError, transport_for

log = logging.getLogger("portal.ledger")

#: Answers that will not heal by retrying alone: a person must fix the secret, clock or URL.
ALERT_STATUSES = frozenset({401, 403, 404, 405})


class RelayConflict(RuntimeError):
    """Another relay is running where only one may run (SQLite)."""


@dataclass(frozen=True)
class Pending:
    """One event as the relay sends it."""

    id: str
    case_id: int
    sequence: int
    payload: str


class Relay:
    """One relay process's state: its id, the cases it holds and its backoff."""

    def __init__(self, transport=None, *, relay_id: str | None = None,
                 sleep: Callable[[float], None] = time.sleep, rng: Callable[[], float] = random.random) -> None:
        cfg = current_app.config
        self.transport = transport or transport_for(
            cfg["LEDGER_URL"], cfg["LEDGER_SECRET"], cfg["LEDGER_TIMEOUT_SECONDS"]
        )
        self.id = relay_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:80]
        self.batch_size = max(1, min(500, cfg["LEDGER_BATCH_SIZE"]))  # the contract allows 1-500
        self.lease = timedelta(seconds=cfg["LEDGER_LEASE_SECONDS"])
        self.poll = cfg["LEDGER_POLL_SECONDS"]
        self.backoff_base = cfg["LEDGER_BACKOFF_BASE_SECONDS"]
        self.backoff_max = cfg["LEDGER_BACKOFF_MAX_SECONDS"]
        self.horizon = timedelta(seconds=cfg["LEDGER_RETRY_HORIZON_SECONDS"])
        self.claim_cases = 64
        self.sleep = sleep
        self.rng = rng
        self.held: dict[int, object] = {}  # case_id -> lease end we wrote
        self.pause_until = None
        self.last_heartbeat = None
        self.stopping = False
        self.sent = 0

    # -- life cycle ---------------------------------------------------------------------

    def register(self) -> None:
        """Record this relay; on SQLite refuse to start beside a live one."""
        now = utcnow()
        if db.engine.dialect.name == "sqlite":
            live = db.session.scalar(
                select(LedgerRelay.id).where(
                    LedgerRelay.stopped_at.is_(None), LedgerRelay.heartbeat_at > now - self.lease
                )
            )
            if live:
                raise RelayConflict(f"relay {live} is already running: SQLite supports one relay at a time")
        db.session.add(LedgerRelay(id=self.id, started_at=now, heartbeat_at=now))
        db.session.commit()
        self.last_heartbeat = now

    def shutdown(self) -> None:
        """Give back the leases and mark this relay stopped."""
        db.session.rollback()
        now = utcnow()
        db.session.execute(
            update(LedgerStream).where(LedgerStream.owner == self.id).values(owner=None, lease_until=now),
            execution_options={"synchronize_session": False},
        )
        db.session.execute(update(LedgerRelay).where(LedgerRelay.id == self.id).values(stopped_at=now))
        db.session.commit()
        self.held.clear()
        self.transport.close()

    def run(self, once: bool = False) -> int:
        """Loop until stopped (or, with `once`, until nothing is due); returns events delivered."""
        self.register()
        try:
            while not self.stopping:
                try:
                    worked = self.step()
                except DBAPIError as exc:  # database restarting: wait, then start afresh
                    reset_session()  # a rollback on the cut connection would fail too
                    self.held.clear()
                    log.warning("ledger relay: database unavailable (%s); retrying", type(exc.orig).__name__)
                    self.sleep(max(self.poll, 1.0))
                    continue
                paused = self.pause_until is not None and self.pause_until > utcnow()
                if once and (not worked or paused):
                    break
                if paused:
                    self.sleep(min((self.pause_until - utcnow()).total_seconds(), max(self.poll, 1.0)))
                elif not worked:
                    self.sleep(self.poll)
        finally:
            self.shutdown()
        return self.sent

    # -- one step: claim, load, send ----------------------------------------------------

    def step(self) -> bool:
        """Send one batch if anything is due; returns whether there was work."""
        now = utcnow()
        if self.pause_until is not None and self.pause_until > now:
            return False
        self._heartbeat(now)
        self._drained: set[int] = set()  # cases whose every pending event is in this batch
        self._stopped: set[int] = set()  # cases backed off or blocked during this step
        events = self._collect(now)
        if not events:
            db.session.commit()
            return False
        self._send(events)
        self._release(self._drained - self._stopped, utcnow())
        db.session.commit()
        return True

    def _heartbeat(self, now) -> None:
        if self.last_heartbeat is None or now - self.last_heartbeat > timedelta(seconds=1):
            db.session.execute(update(LedgerRelay).where(LedgerRelay.id == self.id).values(heartbeat_at=now))
            self.last_heartbeat = now

    def _collect(self, now) -> list[Pending]:
        """Renew held leases when a third is used, claim more cases, load up to one batch."""
        if self.held and min(self.held.values()) - now < self.lease * 2 / 3:
            kept = db.session.scalars(
                update(LedgerStream)
                .where(LedgerStream.case_id.in_(list(self.held)), LedgerStream.owner == self.id)
                .values(lease_until=now + self.lease)
                .returning(LedgerStream.case_id),
                execution_options={"synchronize_session": False},
            ).all()
            self.held = dict.fromkeys(kept, now + self.lease)
        events = self._load(list(self.held), self.batch_size) if self.held else []
        for _ in range(8):
            if len(events) >= self.batch_size:
                break
            new = self._claim(now)
            if not new:
                break
            events += self._load(new, self.batch_size - len(events))
        db.session.commit()
        return events

    def _claim(self, now) -> list[int]:
        """Take the lease of up to `claim_cases` free, due cases without dead letters."""
        blocked = select(LedgerEvent.case_id).where(LedgerEvent.state == EventState.dead)
        pending = select(LedgerEvent.case_id).where(LedgerEvent.state == EventState.pending)
        # Our own leases count as free: after a database error the relay forgets what it held
        # (`run`), and must not wait for its own leases to run out before sending again.
        free = or_(LedgerStream.owner.is_(None), LedgerStream.lease_until < now, LedgerStream.owner == self.id)
        query = (
            select(LedgerStream.case_id)
            .where(LedgerStream.case_id.in_(pending), LedgerStream.case_id.not_in(blocked),
                   free, LedgerStream.retry_at <= now)
            .order_by(LedgerStream.retry_at, LedgerStream.case_id)
            .limit(self.claim_cases)
            .with_for_update(skip_locked=True)
        )
        if self.held:
            query = query.where(LedgerStream.case_id.not_in(list(self.held)))
        candidates = db.session.scalars(query).all()
        if not candidates:
            return []
        until = now + self.lease
        # The WHERE is checked again by the UPDATE: on SQLite (no row locks) it is the guard.
        taken = db.session.scalars(
            update(LedgerStream)
            .where(LedgerStream.case_id.in_(candidates), free)
            .values(owner=self.id, lease_until=until)
            .returning(LedgerStream.case_id),
            execution_options={"synchronize_session": False},
        ).all()
        self.held.update(dict.fromkeys(taken, until))
        return sorted(taken)

    def _load(self, case_ids: list[int], limit: int) -> list[Pending]:
        """Pending events of these cases, per case in sequence order, at most `limit`."""
        rows = db.session.execute(
            select(LedgerEvent.id, LedgerEvent.case_id, LedgerEvent.sequence, LedgerEvent.payload)
            .where(LedgerEvent.case_id.in_(case_ids), LedgerEvent.state == EventState.pending)
            .order_by(LedgerEvent.case_id, LedgerEvent.sequence)
            .limit(limit)
        ).all()
        events = [Pending(*row) for row in rows]
        if len(events) < limit:  # every case of this load is drained once the batch is delivered
            self._drained |= set(case_ids)
        else:
            self._drained |= {e.case_id for e in events} - {events[-1].case_id}
        return events

    def _send(self, events: list[Pending]) -> None:
        """Post `events`, then act on the answer (re-posting what remains after 409/422)."""
        while events:
            body = ('{"events":[' + ",".join(e.payload for e in events) + "]}").encode()
            try:
                answer = self.transport.send(body)
            except TransportError as exc:
                self._transient(events, f"transport: {exc}", None)
                return
            if answer.status == 200:
                self._delivered(events)
                return
            if answer.status == 409 and answer.body.get("error") == "sequence_gap":
                events = self._gap(events, answer)
            elif answer.status == 422 and answer.body.get("event_id") in {e.id for e in events}:
                events = self._reject(events, answer.body["event_id"], _describe(answer))
            elif answer.status in ALERT_STATUSES:
                self._transient(events, _describe(answer), answer.retry_after, alert=True)
                return
            elif 400 <= answer.status < 500 and answer.status not in (408, 409, 425, 429):
                # Permanent for one unknown event of the batch: halve until it is found.
                if len(events) == 1:
                    events = self._reject(events, events[0].id, _describe(answer))
                else:
                    half = len(events) // 2
                    self._send(events[:half])
                    events = [e for e in events[half:] if e.case_id not in self._stopped]
            else:
                self._transient(events, _describe(answer), answer.retry_after)
                return

    # -- outcomes -------------------------------------------------------------------------

    def _delivered(self, events: list[Pending]) -> None:
        """200: the whole batch is recorded by the ledger."""
        now = utcnow()
        ids = [e.id for e in events]
        cases = {e.case_id for e in events}
        # Bulk pending -> delivered: the WHERE on state enforces the transition table.
        db.session.execute(
            update(LedgerEvent)
            .where(_among(ids), LedgerEvent.state == EventState.pending)
            .values(state=EventState.delivered, delivered_at=now),
            execution_options={"synchronize_session": False},
        )
        db.session.execute(  # end a run of failures; touches no row in the usual case
            update(LedgerStream)
            .where(LedgerStream.case_id.in_(list(cases)), LedgerStream.failures > 0)
            .values(failures=0, failing_since=None),
            execution_options={"synchronize_session": False},
        )
        db.session.execute(
            update(LedgerRelay).where(LedgerRelay.id == self.id)
            .values(last_success_at=now, alerting=False, heartbeat_at=now)
        )
        db.session.commit()
        self.sent += len(events)
        self.pause_until = None

    def _release(self, cases: set[int], now, **values) -> None:
        """Give back the lease of `cases` (optionally setting backoff fields too)."""
        if not cases:
            return
        db.session.execute(
            update(LedgerStream)
            .where(LedgerStream.case_id.in_(list(cases)), LedgerStream.owner == self.id)
            .values(owner=None, lease_until=now, **values),
            execution_options={"synchronize_session": False},
        )
        for case_id in cases:
            self.held.pop(case_id, None)

    def _gap(self, events: list[Pending], answer: Answer) -> list[Pending]:
        """409: put the ledger's missing events of that case back to pending; resend the rest."""
        reference, expected = answer.body.get("case_reference"), answer.body.get("expected")
        case_id = db.session.scalar(select(Case.id).where(Case.reference == reference))
        mine = [e for e in events if e.case_id == case_id]
        if not mine or type(expected) is not int:
            self._transient(events, f"409 that matches no event of the batch: {answer.body}", None)
            return []
        reset = db.session.execute(
            update(LedgerEvent)
            .where(LedgerEvent.case_id == case_id, LedgerEvent.state == EventState.delivered,
                   LedgerEvent.sequence >= expected, LedgerEvent.sequence < mine[0].sequence)
            .values(state=EventState.pending, delivered_at=None),
            execution_options={"synchronize_session": False},
        ).rowcount
        rest = [e for e in events if e.case_id != case_id]
        if not reset:  # nothing of ours fills the gap: retry later, and alert through the error
            self._transient(mine, f"ledger expects sequence {expected} of {reference}, which is not ours to resend", None)
            return rest
        log.warning("ledger lacks %s events of %s from sequence %s: resending them first", reset, reference, expected)
        self._drained.discard(case_id)
        db.session.commit()
        return rest

    def _reject(self, events: list[Pending], event_id: str, error: str) -> list[Pending]:
        """422 (or a permanent 4xx for a single event): dead-letter it; resend the rest."""
        now = utcnow()
        bad = next(e for e in events if e.id == event_id)
        db.session.execute(
            update(LedgerEvent)
            .where(LedgerEvent.id == event_id, LedgerEvent.state == EventState.pending)
            .values(state=EventState.dead, dead_at=now, last_error=error[:2000], attempts=LedgerEvent.attempts + 1),
            execution_options={"synchronize_session": False},
        )
        self._release({bad.case_id}, now)
        self._stopped.add(bad.case_id)
        db.session.commit()
        log.error("ledger refused event %s (case %s, sequence %s): %s; it is a dead letter",
                  event_id, bad.case_id, bad.sequence, error)
        # Nothing was applied: resend everything but it and the later events of its case.
        return [e for e in events if e.case_id != bad.case_id or e.sequence < bad.sequence]

    def _transient(self, events: list[Pending], error: str, retry_after: float | None, alert: bool = False) -> None:
        """Back off these cases (exponential, jittered, at least Retry-After); dead only past the horizon."""
        now = utcnow()
        cases = sorted({e.case_id for e in events})
        streams = db.session.scalars(select(LedgerStream).where(LedgerStream.case_id.in_(cases))).all()
        pause = None
        expired = set()
        for stream in streams:
            stream.failures += 1
            stream.failing_since = stream.failing_since or now
            delay = self.delay(stream.failures, retry_after)
            stream.retry_at = now + timedelta(seconds=delay)
            pause = delay if pause is None else min(pause, delay)
            if not alert and now - stream.failing_since >= self.horizon:
                expired.add(stream.case_id)
        db.session.flush()
        db.session.execute(
            update(LedgerEvent)
            .where(LedgerEvent.id.in_([e.id for e in events]))
            .values(attempts=LedgerEvent.attempts + 1, last_error=error[:2000]),
            execution_options={"synchronize_session": False},
        )
        if expired:
            db.session.execute(
                update(LedgerEvent)
                .where(LedgerEvent.id.in_([e.id for e in events if e.case_id in expired]),
                       LedgerEvent.state == EventState.pending)
                .values(state=EventState.dead, dead_at=now, last_error=f"gave up after the retry horizon: {error}"[:2000]),
                execution_options={"synchronize_session": False},
            )
        self._release(set(cases), now)
        self._stopped.update(cases)
        db.session.execute(
            update(LedgerRelay).where(LedgerRelay.id == self.id)
            .values(last_error=error[:2000], last_error_at=now, alerting=alert)
        )
        db.session.commit()
        self.pause_until = now + timedelta(seconds=pause or 0)
        if alert:
            log.error("ledger ALERT: %s; it will not heal until the secret, clock or LEDGER_URL is fixed", error)
        else:
            log.warning("ledger unavailable (%s); retrying %d events in %.1fs", error, len(events), pause or 0)

    def delay(self, failures: int, retry_after: float | None) -> float:
        """Seconds to wait after the n-th consecutive failure: full-range jitter on the upper half."""
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** min(failures - 1, 30))
        wait = ceiling * (0.5 + self.rng() / 2)
        return max(wait, retry_after) if retry_after is not None else wait


def _among(ids: list[str]):
    """`LedgerEvent.id IN ids`, as a join on unnest(:ids) on PostgreSQL.

    With `id IN (...)` PostgreSQL tends to scan the `state` index for every pending
    event and test each against the list (time grows with the backlog: ~100 ms per
    batch of 500 at 100k pending); joining one array parameter makes it probe the
    primary key once per id, whatever the backlog.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return LedgerEvent.id.in_(ids)
    wanted = func.unnest(func.cast(ids, ARRAY(String))).table_valued("id").render_derived(name="wanted")
    return LedgerEvent.id == wanted.c.id


def _describe(answer: Answer) -> str:
    """A short text of the ledger's answer for logs and dead letters."""
    error = answer.body.get("error") or answer.body.get("message") or ""
    return f"HTTP {answer.status} {error}".strip()
