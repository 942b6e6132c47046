"""Imports every feature's models so SQLAlchemy and Alembic see the whole schema."""


def load_all() -> None:
    """Import each models module once (idempotent)."""
    from portal.agent import models as _agent  # noqa: F401
    from portal.api import models as _api  # noqa: F401
    from portal.auth import models as _auth  # noqa: F401
    from portal.cases import models as _cases  # noqa: F401
    from portal.contact import models as _contact  # noqa: F401
    from portal.creditors import models as _creditors  # noqa: F401
    from portal.disputes import models as _disputes  # noqa: F401
    from portal.documents import models as _documents  # noqa: F401
    from portal.ledger import models as _ledger  # noqa: F401
    from portal.links import models as _links  # noqa: F401
    from portal.messages import models as _messages  # noqa: F401
    from portal.payments import models as _payments  # noqa: F401
    from portal.plans import models as _plans  # noqa: F401
    from portal.privacy import models as _privacy  # noqa: F401
    from portal.ratelimit import models as _ratelimit  # noqa: F401
    from portal.support import models as _support  # noqa: F401
    from portal.uploads import models as _uploads  # noqa: F401
