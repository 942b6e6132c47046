"""`flask apikeys create|list|revoke`: keys for the collection system's pushes."""

import secrets

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.api.blueprint import hash_key
from portal.api.models import ApiKey
from portal.clock import utcnow
from portal.extensions import db


@click.group(cls=AppGroup)  # AppGroup: the commands run inside an app context
def apikeys():
    """Manage API keys."""


@apikeys.command("create")
@click.argument("name")
def create(name: str):
    """Create a key called NAME and print it once."""
    if db.session.scalar(select(ApiKey).where(ApiKey.name == name)):
        raise click.ClickException(f"an API key called {name!r} already exists")
    key = "pk_" + secrets.token_urlsafe(32)
    db.session.add(ApiKey(name=name, prefix=key[:10], key_hash=hash_key(key)))
    db.session.commit()
    click.echo(key)
    click.echo(f"Store this key now: it is not shown again. Revoke with `flask apikeys revoke {name}`.", err=True)


@apikeys.command("list")
def list_keys():
    """List keys (name, prefix, created, last used, revoked)."""
    for k in db.session.scalars(select(ApiKey).order_by(ApiKey.created_at)):
        state = f"revoked {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "active"
        used = f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "never"
        click.echo(f"{k.name}\t{k.prefix}…\tcreated {k.created_at:%Y-%m-%d}\tlast used {used}\t{state}")


@apikeys.command("revoke")
@click.argument("name")
def revoke(name: str):
    """Revoke the key called NAME; requests with it get 401 at once."""
    key = db.session.scalar(select(ApiKey).where(ApiKey.name == name))
    if key is None:
        raise click.ClickException(f"no API key called {name!r}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db.session.commit()
    click.echo(f"revoked {name}")
