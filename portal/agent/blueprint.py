"""The back office's one blueprint, under /agent; its routes live in the *_views modules."""

from flask import Blueprint

bp = Blueprint("agent", __name__, url_prefix="/agent")
