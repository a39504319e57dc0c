"""Migrate the configured database to head, then load the demo data (never in production).

.venv/bin/python scripts/seed.py        # or: make seed
"""

from __future__ import annotations

import sys

from convonet.config import get_settings
from convonet.db.engine import session_scope
from convonet.db.migrate import current, upgrade
from convonet.demo import DEMO_LOGINS, DEMO_PASSWORD, seed_demo_data
from sqlalchemy.engine import make_url


def _target() -> str:
    settings = get_settings()
    if settings.cloud_sql_instance:
        return f"Cloud SQL {settings.cloud_sql_instance}/{settings.db_name}"
    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


def main() -> int:
    if get_settings().is_prod:
        print("refusing to seed demo data in production (CONVONET_ENV=prod)", file=sys.stderr)
        return 2
    print(f"database: {_target()}")
    upgrade()
    print(f"migrated to revision {current()}")
    with session_scope() as session:
        seeded = seed_demo_data(session)
    if not seeded:
        print("demo data already present: nothing to do")
        return 0
    print(f"demo data loaded; logins (password {DEMO_PASSWORD}):")
    for email, role in DEMO_LOGINS:
        print(f"  {email:<28} {role}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
