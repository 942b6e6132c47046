"""A creditor's instalment policy as plain values, parsed and checked from JSON (file or back office).

Amounts are minor units of the case's currency. Every error names the field and what is
wrong, so a supervisor can fix a file or a form without guessing.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from typing import Any


class Frequency(enum.StrEnum):
    """How often an instalment falls due."""

    monthly = "monthly"
    biweekly = "biweekly"  # every two weeks
    weekly = "weekly"


class MissAction(enum.StrEnum):
    """What a missed instalment (retries exhausted) does, within the tolerance."""

    retry = "retry"  # stays owed; the debtor can pay it with the pay-now link
    move_to_end = "move_to_end"  # its amount is added as a new instalment after the last one


class PolicyError(ValueError):
    """A policy document with a wrong field; `field` says which."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class Band:
    """Balances up to `up_to_minor` (inclusive; None = no ceiling) allow at most `max_instalments`."""

    up_to_minor: int | None
    max_instalments: int


@dataclass(frozen=True)
class RiskBand:
    """Cases with a risk score at or above `min_score` get at most `max_instalments`."""

    min_score: int
    max_instalments: int


@dataclass(frozen=True)
class Rules:
    """Every bound of a plan; see docs in `parse` for the JSON form."""

    bands: tuple[Band, ...]
    min_instalment_minor: int = 1000
    max_duration_days: int = 365
    frequencies: tuple[Frequency, ...] = (Frequency.monthly,)
    first_payment_within_days: int = 14
    down_payment_percent: int = 0
    risk_bands: tuple[RiskBand, ...] = ()
    settlement_discount_percent: int = 0
    missed_tolerated: int = 1
    retry_days: tuple[int, ...] = (3, 7)
    miss_action: MissAction = MissAction.retry
    date_moves_allowed: int = 1
    near_percent: int = 25
    decision_days: int = 3
    #: Longest pause in collection a debtor in difficulty may ask for, in days (0: none offered).
    pause_max_days: int = 0

    def max_instalments(self, balance_minor: int, risk_score: int | None) -> int:
        """The most instalments this balance (and risk) allows; 0 if no band covers it."""
        allowed = 0
        for band in self.bands:
            if band.up_to_minor is None or balance_minor <= band.up_to_minor:
                allowed = band.max_instalments
                break
        for risk in self.risk_bands:
            if risk_score is not None and risk_score >= risk.min_score:
                allowed = min(allowed, risk.max_instalments)
        return allowed

    def to_json(self) -> dict[str, Any]:
        """The JSON form, as stored and as the back office shows it."""
        data = asdict(self)
        data["frequencies"] = [str(f) for f in self.frequencies]
        data["miss_action"] = str(self.miss_action)
        data["bands"] = [asdict(b) for b in self.bands]
        data["risk_bands"] = [asdict(b) for b in self.risk_bands]
        data["retry_days"] = list(self.retry_days)
        return data


def _int(data: dict, key: str, low: int, high: int, default: int | None = None) -> int:
    """An integer field within [low, high]."""
    value = data.get(key, default)
    if type(value) is not int:
        raise PolicyError(key, "must be a whole number")
    if not low <= value <= high:
        raise PolicyError(key, f"must be between {low} and {high}")
    return value


def parse(data: Any) -> Rules:
    """Check a policy document and return its Rules; raises PolicyError naming the field."""
    if not isinstance(data, dict):
        raise PolicyError("policy", "must be a JSON object")
    defaults = Rules(bands=())
    known = set(defaults.to_json())
    for key in data:
        if key not in known:
            raise PolicyError(key, f"is not a policy field (known: {', '.join(sorted(known))})")
    raw_bands = data.get("bands")
    if not isinstance(raw_bands, list) or not raw_bands:
        raise PolicyError("bands", "must be a non-empty list of {up_to_minor, max_instalments}")
    bands = []
    for i, raw in enumerate(raw_bands):
        if not isinstance(raw, dict):
            raise PolicyError(f"bands[{i}]", "must be an object")
        ceiling = raw.get("up_to_minor")
        if ceiling is not None and (type(ceiling) is not int or ceiling < 1):
            raise PolicyError(f"bands[{i}].up_to_minor", "must be a positive whole number or null")
        bands.append(Band(ceiling, _int(raw, "max_instalments", 1, 120)))
    ceilings = [b.up_to_minor for b in bands]
    if None in ceilings[:-1] or ceilings != sorted(ceilings, key=lambda c: float("inf") if c is None else c):
        raise PolicyError("bands", "must be in increasing order of up_to_minor, only the last may be null")
    risk = []
    for i, raw in enumerate(data.get("risk_bands", [])):
        if not isinstance(raw, dict):
            raise PolicyError(f"risk_bands[{i}]", "must be an object")
        risk.append(RiskBand(_int(raw, "min_score", 0, 100), _int(raw, "max_instalments", 1, 120)))
    frequencies = data.get("frequencies", ["monthly"])
    if not isinstance(frequencies, list) or not frequencies or any(f not in Frequency.__members__ for f in frequencies):
        raise PolicyError("frequencies", "must be a non-empty list of monthly, biweekly, weekly")
    retry_days = data.get("retry_days", [3, 7])
    if not isinstance(retry_days, list) or any(type(d) is not int or not 1 <= d <= 60 for d in retry_days) \
            or len(retry_days) > 5:
        raise PolicyError("retry_days", "must be a list of at most 5 whole numbers of days between 1 and 60")
    miss_action = data.get("miss_action", "retry")
    if miss_action not in MissAction.__members__:
        raise PolicyError("miss_action", "must be retry or move_to_end")
    return Rules(
        bands=tuple(bands),
        min_instalment_minor=_int(data, "min_instalment_minor", 1, 10**12, 1000),
        max_duration_days=_int(data, "max_duration_days", 7, 3660, 365),
        frequencies=tuple(dict.fromkeys(Frequency(f) for f in frequencies)),
        first_payment_within_days=_int(data, "first_payment_within_days", 0, 90, 14),
        down_payment_percent=_int(data, "down_payment_percent", 0, 90, 0),
        risk_bands=tuple(risk),
        settlement_discount_percent=_int(data, "settlement_discount_percent", 0, 90, 0),
        missed_tolerated=_int(data, "missed_tolerated", 0, 12, 1),
        retry_days=tuple(retry_days),
        miss_action=MissAction(miss_action),
        date_moves_allowed=_int(data, "date_moves_allowed", 0, 12, 1),
        near_percent=_int(data, "near_percent", 0, 100, 25),
        decision_days=_int(data, "decision_days", 1, 30, 3),
        pause_max_days=_int(data, "pause_max_days", 0, 180, 0),
    )
