"""Reminder links: the token printed in a letter, e-mail or SMS."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the /l/<token> view, the `links` CLI group and the token log filter."""
    from portal.links import cli, logfilter, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.links)
    logfilter.install_dev_server_filter()
