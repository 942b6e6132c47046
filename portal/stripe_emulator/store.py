"""The emulator's state: every object as a JSON-ready dict, kept in memory for the life of the process.

Keys starting with "_" are private bookkeeping and never leave the emulator.
One lock serialises requests, the hosted pages and the webhook thread.
"""

from __future__ import annotations

import copy
import secrets
import string
import threading
import time
from typing import Callable, Iterable

from portal.stripe_emulator.errors import invalid, no_such

_ALPHABET = string.ascii_letters + string.digits


class Store:
    """Objects by id, in creation order, plus the idempotency cache."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self.clock = clock or time.time
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Forget everything (POST /_emulator/reset)."""
        with self.lock:
            self.objects: dict[str, dict] = {}
            self.idempotency: dict[tuple[str, str], dict] = {}
            self._seq = 0

    def now(self) -> int:
        """Unix seconds, as Stripe's `created` fields."""
        return int(self.clock())

    @staticmethod
    def new_id(prefix: str) -> str:
        """An id shaped like Stripe's: prefix, underscore, 24 random characters."""
        return prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(24))

    def create(self, prefix: str, object_name: str, **fields) -> dict:
        """Store a new object with Stripe's common fields."""
        self._seq += 1
        obj = {"id": self.new_id(prefix), "object": object_name, "created": self.now(), "livemode": False}
        obj.update(fields)
        obj["_seq"] = self._seq
        self.objects[obj["id"]] = obj
        return obj

    def get(self, object_id, object_name: str, label: str | None = None, param: str = "id") -> dict:
        """The object with this id and type, or Stripe's 404."""
        obj = self.objects.get(str(object_id))
        if obj is None or obj["object"] != object_name:
            raise no_such(label or object_name.split(".")[-1].replace("_", " "), str(object_id), param)
        return obj

    def all(self, object_name: str, predicate: Callable[[dict], bool] | None = None) -> list[dict]:
        """Objects of one type, newest first, as Stripe lists them."""
        found = [o for o in self.objects.values() if o["object"] == object_name and (predicate is None or predicate(o))]
        return sorted(found, key=lambda o: o["_seq"], reverse=True)

    def page(self, items: list[dict], params: dict, url: str) -> dict:
        """A Stripe list object honouring limit, starting_after, ending_before and created filters."""
        limit = params.get("limit", 10)
        if not 1 <= limit <= 100:
            raise invalid("Invalid limit: must be between 1 and 100", param="limit")
        items = [o for o in items if _created_matches(o["created"], params.get("created"))]
        if params.get("starting_after"):
            items = items[_index(items, params["starting_after"], "starting_after") + 1 :]
            chunk = items[:limit]
        elif params.get("ending_before"):
            items = items[: _index(items, params["ending_before"], "ending_before")]
            chunk = items[-limit:]
        else:
            chunk = items[:limit]
        expand = [e[len("data.") :] for e in params.get("expand", []) if e.startswith("data.")]
        return {
            "object": "list",
            "data": [self.public(o, expand) for o in chunk],
            "has_more": len(items) > len(chunk),
            "url": url,
        }

    def public(self, obj: dict, expand: Iterable[str] = ()) -> dict:
        """A deep copy without private keys, with `expand` paths replaced by the objects they name."""
        out = _strip(copy.deepcopy(obj))
        for path in expand:
            self._expand(out, path.split("."))
        return out

    def _expand(self, node: dict, path: list[str]) -> None:
        """Replace the id at `path` by its object (one level per dot)."""
        head, rest = path[0], path[1:]
        value = node.get(head)
        if isinstance(value, str) and value in self.objects:
            value = node[head] = _strip(copy.deepcopy(self.objects[value]))
        if rest and isinstance(value, dict):
            self._expand(value, rest)


def _strip(node):
    """Drop "_private" keys recursively."""
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if not k.startswith("_")}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _index(items: list[dict], object_id: str, param: str) -> int:
    """Position of a cursor object in the list."""
    for i, obj in enumerate(items):
        if obj["id"] == object_id:
            return i
    raise invalid(f"No such object for {param}: '{object_id}'", param=param, code="resource_missing")


def _created_matches(created: int, condition) -> bool:
    """Apply Stripe's `created` filter: an exact timestamp or gt/gte/lt/lte bounds."""
    if condition is None:
        return True
    if isinstance(condition, int):
        return created == condition
    checks = {"gt": created.__gt__, "gte": created.__ge__, "lt": created.__lt__, "lte": created.__le__}
    return all(checks[op](bound) for op, bound in condition.items())
