"""Server-side sessions in the `web_sessions` table, so signing out really ends a session.

The cookie carries only a random id of 256 bits; the table keys rows by its SHA-256,
so a copy of the database hands out no live session. Expiry is enforced here, on the
server: `SESSION_IDLE_SECONDS` after the last request and `SESSION_ABSOLUTE_SECONDS`
after the session began (sign-in starts a new one). Writes use their own short
connection, never the request's ORM session, so the request still commits exactly once;
the read at the start of a request uses the request's connection (a read commits
nothing, and it saves a second pool checkout and pre-ping). A request that stores nothing
creates no row, and an unchanged session is written at most once a minute (to keep
`last_seen_at` fresh).

While the database is out of reach nothing is lost: a session that cannot be read is
marked `unread` (the request then answers 503, see `portal.errors.unavailable`) and is
never saved, so the browser keeps its cookie and the row its contents; a write that fails
after the view has answered is skipped with one WARNING line, and the answer stands.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta

from flask import Flask, Request, Response, g
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import delete, insert, or_, select, update
from werkzeug.datastructures import CallbackDict

from portal.auth.models import WebSession
from portal.clock import utcnow
from portal.errors import unavailable
from portal.extensions import db

#: Bytes of randomness in a session id (256 bits).
ID_BYTES = 32
#: An unchanged session's `last_seen_at` is refreshed at most this often.
TOUCH_EVERY = timedelta(seconds=60)

sessions = WebSession.__table__
_serializer = TaggedJSONSerializer()


def hash_id(sid: str) -> str:
    """The hex SHA-256 under which a session id is stored."""
    return hashlib.sha256(sid.encode("utf-8", "surrogatepass")).hexdigest()


class ServerSession(CallbackDict, SessionMixin):
    """The session dict of one request, with what it takes to save it afterwards."""

    def __init__(self, data: dict | None = None, sid: str | None = None, last_seen_at: datetime | None = None):
        """`sid` is None for a session that has no row yet."""

        def on_update(self: ServerSession) -> None:
            self.modified = True
            self.accessed = True

        super().__init__(data or {}, on_update)
        self.sid = sid
        self.last_seen_at = last_seen_at
        #: The contents as loaded, to notice changes made inside nested values too.
        self.loaded = _dumps(dict(self)) if sid else None
        #: Hashes of rows to delete when the response is saved (regenerated, destroyed or expired).
        self.stale_hashes: list[str] = []
        #: Whether the client sent a cookie that no longer names a live session.
        self.dead_cookie = False
        #: The database error that kept the cookie's session from being read (None: it was read).
        self.unread: BaseException | None = None
        self.modified = False
        self.accessed = False

    def __getitem__(self, key):
        """Reading marks the session accessed (the response then varies on Cookie)."""
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key, default=None):
        """As dict.get, marking the session accessed."""
        self.accessed = True
        return super().get(key, default)

    def setdefault(self, key, default=None):
        """As dict.setdefault, marking the session accessed."""
        self.accessed = True
        return super().setdefault(key, default)

    def regenerate(self) -> None:
        """Move the contents to a new id when saved, deleting the old row (on sign-in)."""
        if self.sid is not None:
            self.stale_hashes.append(hash_id(self.sid))
        self.sid = None
        self.loaded = None
        self.modified = True

    def destroy(self) -> None:
        """Empty the session and delete its row when saved (on sign-out): the old cookie is dead."""
        self.regenerate()
        self.clear()


def regenerate(session: SessionMixin) -> None:
    """Give the current session a new id (call at sign-in against session fixation)."""
    if isinstance(session, ServerSession):
        session.regenerate()


def destroy(session: SessionMixin) -> None:
    """End the current session on the server (call at sign-out)."""
    if isinstance(session, ServerSession):
        session.destroy()
    else:
        session.clear()


class ServerSessionInterface(SessionInterface):
    """Flask session interface over the `web_sessions` table."""

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        """Load the live session named by the cookie, or start an empty one."""
        sid = request.cookies.get(self.get_cookie_name(app))
        if not sid or len(sid) > 128:
            return ServerSession()
        now = utcnow()
        id_hash = hash_id(sid)
        # Read on the request's own connection: one pool checkout (and pre-ping) per request, not two.
        try:
            row = db.session.connection().execute(
                select(sessions.c.data, sessions.c.created_at, sessions.c.last_seen_at).where(
                    sessions.c.id_hash == id_hash
                )
            ).one_or_none()
        except Exception as exc:
            if not unavailable.is_unavailable(exc):
                raise
            unavailable.reset_session()
            session = ServerSession()
            session.unread = exc  # answered 503 before any view runs; never saved
            return session
        if row is not None and not _expired(app, row.created_at, row.last_seen_at, now):
            return ServerSession(_loads(row.data), sid, row.last_seen_at)
        session = ServerSession()
        session.dead_cookie = True
        if row is not None:
            session.stale_hashes.append(id_hash)
        return session

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:
        """Write what changed, set or delete the cookie, and drop stale rows."""
        if session.accessed:
            response.vary.add("Cookie")
        if session.unread is not None or g.get("database_unavailable"):
            return  # the database is gone: keep the cookie and the row as they are
        try:
            self._save(app, session, response)
        except Exception as exc:
            if not unavailable.is_unavailable(exc):
                raise
            unavailable.session_write_skipped(exc)

    def _save(self, app: Flask, session: ServerSession, response: Response) -> None:
        """The writes of `save_session`; the cookie is set only once its row is written."""
        now = utcnow()
        stale, session.stale_hashes = session.stale_hashes, []
        if not session:
            if session.sid is not None:
                stale.append(hash_id(session.sid))
            if session.sid is not None or session.dead_cookie or session.modified:
                self._delete_cookie(app, response)
            session.sid = None
            if stale:
                with db.engine.begin() as conn:
                    conn.execute(delete(sessions).where(sessions.c.id_hash.in_(stale)))
            return
        data = _dumps(dict(session))
        new_sid = None
        if session.sid is None:
            new_sid = secrets.token_urlsafe(ID_BYTES)
            write = insert(sessions).values(
                id_hash=hash_id(new_sid), data=json.loads(data), created_at=now, last_seen_at=now
            )
        elif data != session.loaded:
            write = (
                update(sessions)
                .where(sessions.c.id_hash == hash_id(session.sid))
                .values(data=json.loads(data), last_seen_at=now)
            )
        elif session.last_seen_at is None or now - session.last_seen_at >= TOUCH_EVERY:
            write = update(sessions).where(sessions.c.id_hash == hash_id(session.sid)).values(last_seen_at=now)
        elif stale:
            write = None
        else:
            return  # unchanged and seen less than a minute ago: no database work at all
        with db.engine.begin() as conn:
            if stale:
                conn.execute(delete(sessions).where(sessions.c.id_hash.in_(stale)))
            if write is not None:
                conn.execute(write)
        if new_sid is not None:
            session.sid = new_sid
            self._set_cookie(app, response, new_sid)
        session.loaded = data
        session.last_seen_at = now

    def _set_cookie(self, app: Flask, response: Response, sid: str) -> None:
        """A browser-session cookie (no Expires): the server decides when it stops working."""
        response.set_cookie(
            self.get_cookie_name(app),
            sid,
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            httponly=self.get_cookie_httponly(app),
            samesite=self.get_cookie_samesite(app),
        )

    def _delete_cookie(self, app: Flask, response: Response) -> None:
        """Tell the browser to forget the cookie."""
        response.delete_cookie(
            self.get_cookie_name(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            httponly=self.get_cookie_httponly(app),
            samesite=self.get_cookie_samesite(app),
        )


def _expired(app: Flask, created_at: datetime, last_seen_at: datetime, now: datetime) -> bool:
    """Past the idle or the absolute limit of the configuration."""
    idle = timedelta(seconds=app.config["SESSION_IDLE_SECONDS"])
    absolute = timedelta(seconds=app.config["SESSION_ABSOLUTE_SECONDS"])
    return now - last_seen_at >= idle or now - created_at >= absolute


def purge(app: Flask) -> int:
    """Delete every expired session row; returns how many."""
    now = utcnow()
    idle = timedelta(seconds=app.config["SESSION_IDLE_SECONDS"])
    absolute = timedelta(seconds=app.config["SESSION_ABSOLUTE_SECONDS"])
    with db.engine.begin() as conn:
        result = conn.execute(
            delete(sessions).where(
                or_(sessions.c.last_seen_at <= now - idle, sessions.c.created_at <= now - absolute)
            )
        )
    return result.rowcount


def _dumps(data: dict) -> str:
    """JSON text of the session, keeping tuples, bytes and datetimes (Flask's tagged JSON)."""
    return _serializer.dumps(data)


def _loads(stored: dict | str | None) -> dict:
    """The session dict back from the JSON column."""
    if not stored:
        return {}
    text = stored if isinstance(stored, str) else json.dumps(stored)
    return _serializer.loads(text)
