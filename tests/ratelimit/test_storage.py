"""The SQL storage behind Flask-Limiter: fixed windows shared through the database."""

from datetime import timedelta

import time_machine
from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from portal.clock import utcnow
from portal.ratelimit.storage import SQLStorage, purge_expired


def test_sql_uri_selects_our_storage(ctx):
    assert isinstance(storage_from_string("sql://"), SQLStorage)


def test_incr_get_expiry_clear_reset(ctx):
    storage = SQLStorage()
    assert storage.check()
    assert storage.incr("k", 60) == 1
    assert storage.incr("k", 60, amount=2) == 3
    assert storage.get("k") == 3 and storage.get("other") == 0
    assert abs(storage.get_expiry("k") - (utcnow().timestamp() + 60)) < 2
    storage.clear("k")
    assert storage.get("k") == 0
    storage.incr("a", 60)
    storage.incr("b", 60)
    assert storage.reset() == 2 and storage.get("a") == 0


def test_an_ended_window_starts_again_at_one(ctx):
    storage = SQLStorage()
    start = utcnow()
    storage.incr("k", 60)
    storage.incr("k", 60)
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert storage.get("k") == 0
        assert storage.incr("k", 60) == 1
        assert storage.incr("k", 60) == 2  # the new window counts on, with its own end
        assert abs(storage.get_expiry("k") - (start.timestamp() + 121)) < 1
        with time_machine.travel(start + timedelta(seconds=200), tick=False):
            assert purge_expired() == 1


def test_fixed_window_limiter_on_sql_storage(ctx):
    limiter = FixedWindowRateLimiter(SQLStorage())
    limit = RateLimitItemPerMinute(3)
    assert [limiter.hit(limit, "ip", "1.2.3.4") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit(limit, "ip", "5.6.7.8")
    with time_machine.travel(utcnow() + timedelta(seconds=61), tick=False):
        assert limiter.hit(limit, "ip", "1.2.3.4")
