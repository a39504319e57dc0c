"""`make dev`: the whole local stack at http://127.0.0.1:$PORT (default 8080)."""

from __future__ import annotations

import logging
import os
import sys

import uvicorn
from convonet.config import get_settings
from convonet.localstack import build_app
from convonet.observability import configure_logging
from convonet.voice.gateway import UVICORN_OPTIONS


def main() -> int:
    os.environ.setdefault("LOG_FORMAT", "text")
    settings = get_settings()
    configure_logging()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    app = build_app()
    base = f"http://127.0.0.1:{settings.port}"
    print(f"\nConvonet local stack: {base}  (data in {settings.data_dir}/)")
    if settings.convonet_env == "dev":
        from convonet.demo import DEMO_LOGINS

        print("Demo logins (password convonet-demo; demo voice PIN 2468):")
        for email, role in DEMO_LOGINS:
            print(f"  {email:<28} {role}")
    sys.stdout.flush()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=settings.port,
        log_level="warning",
        ws="websockets-sansio",
        **UVICORN_OPTIONS,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
