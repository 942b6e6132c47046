"""`python -m portal.stripe_emulator`: run the emulator as a local server for development."""

from __future__ import annotations

import argparse

from portal.stripe_emulator import create_app


def main(argv: list[str] | None = None) -> None:
    """Parse options and serve until interrupted."""
    parser = argparse.ArgumentParser(description="Stripe emulator (TEST MODE only)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--public-url", help="address browsers use to reach the emulator (default http://HOST:PORT)")
    parser.add_argument("--webhook-url", help="the portal's webhook endpoint")
    parser.add_argument("--webhook-secret", default="whsec_emulator_local_development",
                        help="signing secret shared with the portal (starts with whsec_)")
    args = parser.parse_args(argv)
    config = {"PUBLIC_URL": args.public_url or f"http://{args.host}:{args.port}", "WEBHOOK_MODE": "thread"}
    if args.webhook_url:
        config.update(WEBHOOK_URL=args.webhook_url, WEBHOOK_SECRET=args.webhook_secret)
    app = create_app(config)
    app.run(host=args.host, port=args.port, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
