"""Decode Stripe's form encoding (`a[b][0][c]=v`) into nested dicts and lists."""

from __future__ import annotations

import re

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


class FormError(ValueError):
    """A key that is not valid form encoding, e.g. `a[b`."""

    def __init__(self, key: str) -> None:
        super().__init__(f"Invalid parameter name: {key}")
        self.key = key


def decode(pairs: list[tuple[str, str]]) -> dict:
    """Nest flat form pairs; containers whose keys are all integers become lists."""
    root: dict = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if not match:
            raise FormError(key)
        parts = [match.group(1)] + re.findall(r"\[([^\[\]]*)\]", match.group(2))
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "":  # `a[]=x` appends, as Stripe allows
                part = str(len(node))
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise FormError(key)
    return _listify(root)


def _listify(node):
    """Turn {"0": x, "1": y} into [x, y], recursively."""
    if not isinstance(node, dict):
        return node
    node = {k: _listify(v) for k, v in node.items()}
    if node and all(k.isdigit() for k in node):
        return [node[k] for k in sorted(node, key=int)]
    return node
