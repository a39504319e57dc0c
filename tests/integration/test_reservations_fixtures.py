"""Fixtures shared by the reservation and restaurant-tool tests (imported by those modules).

`hanok` migrates a real database (SQLite and PostgreSQL), seeds the Hanok restaurant exactly
as the demo data does (Los Angeles, 11:30-22:00 daily, tables {4:2, 6:3, 8:3, 10:2}, six
dishes), freezes the clock at Monday 2026-01-05 09:00 local, and installs a fresh local state
store and a local event bus that records what is published.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from cloudevents.http import CloudEvent
from convonet.auth.tokens import issue_user_token
from convonet.clock import FakeClock
from convonet.db.engine import session_scope
from convonet.db.models import DiningTable, MenuItem, Restaurant, User
from convonet.db.models.restaurant import HANOK_ID, WEEKDAYS
from convonet.demo import HANOK_MENU, HANOK_TABLES
from convonet.events import set_event_bus
from convonet.events.local import LocalEventBus
from convonet.state.local import LocalStateStore

# Not a real hash: these users never sign in, and hashing would cost ~50 ms each.
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$placeholder"
# A Saturday; bookings in the tests are Los Angeles wall time on it, five days ahead.
SATURDAY = "2026-01-10"
ALICE_PHONE = "+14155550111"
BOB_PHONE = "+14155550122"


@dataclass
class RecordedEvents:
    bus: LocalEventBus
    events: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, cloud_event: CloudEvent) -> None:
        message = cloud_event.data["message"]
        with self._lock:
            self.events.append(json.loads(base64.b64decode(message["data"])))

    def kinds(self) -> list[tuple[str, str]]:
        """(kind, confirmation code) of everything published so far, in order."""
        assert self.bus.drain(), "event delivery did not finish"
        with self._lock:
            return [(e["kind"], e["confirmation_code"]) for e in self.events]


@dataclass(frozen=True)
class Hanok:
    db_url: str
    clock: FakeClock
    published: RecordedEvents
    alice: str
    bob: str
    staff: str

    def token(self, user_id: str, *roles: str) -> str:
        return issue_user_token(user_id, list(roles or ("user",)), [], "access").token

    def staff_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(self.staff, 'user', 'staff')}"}


def seed_hanok() -> None:
    with session_scope() as session:
        restaurant = Restaurant(
            id=HANOK_ID,
            name="Hanok",
            timezone="America/Los_Angeles",
            opening_hours={day: [["11:30", "22:00"]] for day in WEEKDAYS},
        )
        restaurant.tables = [
            DiningTable(label=f"T{capacity}-{n}", capacity=capacity)
            for capacity, count in HANOK_TABLES.items()
            for n in range(1, count + 1)
        ]
        restaurant.menu_items = [
            MenuItem(
                id=slug, name=name, name_ko=ko, description=text, price_cents=price, sort_order=n
            )
            for n, (slug, name, ko, text, price) in enumerate(HANOK_MENU)
        ]
        session.add(restaurant)


def seed_users() -> tuple[str, str, str]:
    with session_scope() as session:
        people = [
            User(
                email=email,
                password_hash=PASSWORD_HASH,
                display_name=name,
                phone_e164=phone,
                roles=roles,
            )
            for email, name, phone, roles in (
                ("alice@example.com", "Alice Kim", ALICE_PHONE, ["user"]),
                ("bob@example.com", "Bob Lee", BOB_PHONE, ["user"]),
                ("staff@example.com", "Min-ji Staff", None, ["user", "staff"]),
            )
        ]
        session.add_all(people)
        session.flush()
        return people[0].id, people[1].id, people[2].id


@pytest.fixture(name="hanok")
def hanok_fixture(
    migrated_db: str, clock: FakeClock, use_local_state: LocalStateStore
) -> Iterator[Hanok]:
    bus = LocalEventBus(max_attempts=1, retry_backoff_s=0.0)
    published = RecordedEvents(bus)
    bus.subscribe("reservation-events", published, name="recorder")
    set_event_bus(bus)
    seed_hanok()
    alice, bob, staff = seed_users()
    yield Hanok(migrated_db, clock, published, alice, bob, staff)
    set_event_bus(None)
    bus.close()


def booking(**overrides: Any) -> dict[str, Any]:
    """A valid booking body for Saturday 19:00 local, party of 4."""
    return {
        "guest_name": "Alice Kim",
        "guest_phone": "(415) 555-0111",
        "party_size": 4,
        "starts_at": f"{SATURDAY}T19:00:00",
        **overrides,
    }
