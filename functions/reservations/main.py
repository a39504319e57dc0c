"""reservations: Hanok table reservations at /api/reservations, and the caller-profile webhook
at /webhooks/hanok_table.

Guests book, look up, change and cancel without an account; reads by id or code show only what
a guest needs, the full booking needs its phone AND name. Staff (JWT role `staff`) list every
booking and edit the menu, tables, hours and closures. Every call runs its own short
transaction on the thread functions-framework gives it, so slow database work never stops the
function answering other requests.
"""

from __future__ import annotations

from convonet.process import function_imports

with function_imports():
    from datetime import date
    from typing import Annotated, Literal

    import flask
    import functions_framework
    from convonet.auth.guard import Principal, require_auth
    from convonet.db.engine import read, session_scope
    from convonet.domain import reservations as booking
    from convonet.domain import restaurant_admin as admin
    from convonet.domain.schema import Schema
    from convonet.http import ApiError, ApiRequest, ApiResult, HttpApi
    from convonet.observability import start_component
    from convonet.phone import InvalidPhoneNumber, normalize_e164
    from convonet.telephony.signature import is_signed_by_twilio
    from pydantic import ConfigDict, Field
    from sqlalchemy.orm import Session

start_component("reservations")

STAFF = ("staff",)

api = HttpApi(
    "reservations",
    title="Hanok reservations",
    prefixes=("/api/reservations", "/webhooks/hanok_table"),
    description="Menu, availability, bookings with pre-orders and waitlist, staff admin.",
)


class _Query(Schema):
    model_config = ConfigDict(extra="forbid")


class AvailabilityQuery(_Query):
    date: booking.BookingDate
    party_size: booking.PartySize
    duration_minutes: booking.Duration | None = None


class LookupQuery(_Query):
    phone: booking.Phone
    name: booking.GuestName


class ListQuery(_Query):
    date: booking.BookingDate | None = None
    status: Literal["confirmed", "waitlisted", "seated", "completed", "cancelled"] | None = None


class CancelRequest(Schema):
    model_config = ConfigDict(extra="forbid")

    retention_offer_acknowledged: bool = False


class StatusRequest(Schema):
    model_config = ConfigDict(extra="forbid")

    status: Literal["seated", "completed", "cancelled"]
    retention_offer_acknowledged: bool = False


class CallerVariablesForm(Schema):
    """Twilio's webhook form; only the caller fields are read, the rest is signed and ignored."""

    model_config = ConfigDict(extra="allow")

    From: Annotated[str, Field(max_length=64)] | None = None
    Caller: Annotated[str, Field(max_length=64)] | None = None


class MenuResponse(Schema):
    items: list[booking.MenuItemView]


class ReservationList(Schema):
    reservations: list[booking.ReservationView]


class TableList(Schema):
    tables: list[admin.TableAdminView]


class ClosureList(Schema):
    closures: list[admin.ClosureView]


# Guests -----------------------------------------------------------------------------------


@api.get("/menu", response=MenuResponse)
def menu(_: ApiRequest) -> MenuResponse:
    """The menu; ids are the slugs used in pre-orders."""
    return read(lambda session: MenuResponse(items=booking.list_menu(session)))


@api.get("/availability", query=AvailabilityQuery, response=booking.AvailabilityView)
def availability(req: ApiRequest) -> booking.AvailabilityView:
    """Open start times on the slot grid for a party on a date (restaurant time)."""
    q: AvailabilityQuery = req.query
    return read(
        lambda session: booking.availability(session, q.date, q.party_size, q.duration_minutes)
    )


@api.post(
    "/",
    body=booking.BookingRequest,
    response=booking.ReservationView,
    status=201,
    idempotent=True,
)
def create(req: ApiRequest) -> ApiResult:
    """Book a table; 409 when full unless `waitlist_if_full`; a repeated voice booking is 200.

    The answer is built after the commit, when the restaurant's lock is already released.
    """
    principal = _optional_caller(req)
    with session_scope() as session:
        booked = booking.book(session, req.body, user_id=principal.user_id if principal else None)
    outcome = booked.outcome()
    if outcome.deduplicated:
        return ApiResult(outcome.reservation, 200, {"X-Hanok-Deduplicated": "1"})
    return ApiResult(outcome.reservation, 201)


@api.get("/lookup", query=LookupQuery, response=ReservationList)
def lookup(req: ApiRequest) -> ReservationList:
    """A guest's upcoming bookings; both the phone and the name must match."""
    q: LookupQuery = req.query

    def matching(session: Session) -> ReservationList:
        matches = booking.lookup(session, q.phone, q.name)
        return ReservationList(reservations=[booking.full_view(session, r) for r in matches])

    return read(matching)


@api.get("/by-code/{code}", response=booking.GuestReservationView)
def by_code(req: ApiRequest) -> booking.GuestReservationView:
    """A booking by its confirmation code (HNK-XXXX), as the guest sees it."""
    code = _short(req.path_params["code"])
    return read(
        lambda session: booking.guest_view(session, booking.reservation_by_code(session, code))
    )


@api.get("/{reservation_id}", response=booking.GuestReservationView)
def get_one(req: ApiRequest) -> booking.GuestReservationView:
    """A booking by id: the guest's view, or the whole booking for staff."""
    staff = _optional_caller(req, roles=STAFF) is not None
    reservation_id = _short(req.path_params["reservation_id"])
    view = booking.full_view if staff else booking.guest_view
    return read(lambda session: view(session, booking.reservation_by_id(session, reservation_id)))


@api.patch(
    "/{reservation_id}",
    body=booking.AmendRequest,
    response=booking.ReservationView,
    idempotent=True,
)
def amend(req: ApiRequest) -> booking.ReservationView:
    """Change a booking; a new time or size is re-seated, else 409 and nothing changes."""
    with session_scope() as session:
        return booking.amend_reservation(
            session, _short(req.path_params["reservation_id"]), req.body
        )


@api.post(
    "/{reservation_id}/cancel",
    body=CancelRequest,
    response=booking.ReservationView,
    idempotent=True,
)
def cancel(req: ApiRequest) -> booking.ReservationView:
    """Cancel; a large pre-order answers 409 premium_cancel_requires_retention_step first."""
    with session_scope() as session:
        return booking.cancel_reservation(
            session,
            _short(req.path_params["reservation_id"]),
            retention_offer_acknowledged=req.body.retention_offer_acknowledged,
        )


# Staff ------------------------------------------------------------------------------------


@api.get("/", query=ListQuery, response=ReservationList, auth=True)
def list_all(req: ApiRequest) -> ReservationList:
    """Every booking (staff), optionally for one local date and one status."""
    require_auth(req, roles=STAFF)
    q: ListQuery = req.query
    return read(
        lambda session: ReservationList(
            reservations=booking.list_reservations(session, day=q.date, status=q.status)
        )
    )


@api.post(
    "/{reservation_id}/status",
    body=StatusRequest,
    response=booking.ReservationView,
    auth=True,
    idempotent=True,
)
def set_status(req: ApiRequest) -> booking.ReservationView:
    """Seat, complete or cancel a booking (staff)."""
    require_auth(req, roles=STAFF)
    body: StatusRequest = req.body
    with session_scope() as session:
        return booking.set_status(
            session,
            _short(req.path_params["reservation_id"]),
            body.status,
            retention_offer_acknowledged=body.retention_offer_acknowledged,
        )


@api.put("/menu/{item_id}", body=admin.MenuItemInput, response=booking.MenuItemView, auth=True)
def put_menu_item(req: ApiRequest) -> booking.MenuItemView:
    """Add or change a menu item (staff); the id is a slug like `bulgogi`."""
    require_auth(req, roles=STAFF)
    item_id = req.path_params["item_id"]
    _check_slug(item_id)
    with session_scope() as session:
        return admin.put_menu_item(session, item_id, req.body)


@api.delete("/menu/{item_id}", status=204, auth=True)
def retire_menu_item(req: ApiRequest) -> None:
    """Take an item off the menu (staff)."""
    require_auth(req, roles=STAFF)
    with session_scope() as session:
        admin.retire_menu_item(session, _short(req.path_params["item_id"]))


@api.get("/tables", response=TableList, auth=True)
def tables(req: ApiRequest) -> TableList:
    """The table inventory (staff)."""
    require_auth(req, roles=STAFF)
    return read(lambda session: TableList(tables=admin.list_tables(session)))


@api.put("/tables/{label}", body=admin.TableInput, response=admin.TableAdminView, auth=True)
def put_table(req: ApiRequest) -> admin.TableAdminView:
    """Add or change a table (staff); one held by upcoming guests cannot shrink or retire."""
    require_auth(req, roles=STAFF)
    label = admin.validate_label(req.path_params["label"])
    with session_scope() as session:
        return admin.put_table(session, label, req.body)


@api.delete("/tables/{label}", status=204, auth=True)
def retire_table(req: ApiRequest) -> None:
    """Retire a table (staff)."""
    require_auth(req, roles=STAFF)
    label = admin.validate_label(req.path_params["label"])
    with session_scope() as session:
        admin.retire_table(session, label)


@api.get("/hours", response=admin.HoursView)
def hours(_: ApiRequest) -> admin.HoursView:
    """Weekly opening hours in the restaurant's time zone."""
    return read(admin.get_hours)


@api.put("/hours", body=admin.HoursInput, response=admin.HoursView, auth=True)
def put_hours(req: ApiRequest) -> admin.HoursView:
    """Replace the weekly opening hours (staff)."""
    require_auth(req, roles=STAFF)
    with session_scope() as session:
        return admin.set_hours(session, req.body)


@api.get("/closures", response=ClosureList)
def closures(_: ApiRequest) -> ClosureList:
    """Upcoming days the restaurant is closed (holidays, private events)."""
    return read(lambda session: ClosureList(closures=admin.list_closures(session)))


@api.put("/closures/{day}", body=admin.ClosureInput, response=admin.ClosureView, auth=True)
def put_closure(req: ApiRequest) -> admin.ClosureView:
    """Close the restaurant on a local date (staff)."""
    require_auth(req, roles=STAFF)
    day = _date(req.path_params["day"])
    with session_scope() as session:
        return admin.put_closure(session, day, req.body)


@api.delete("/closures/{day}", status=204, auth=True)
def remove_closure(req: ApiRequest) -> None:
    """Reopen a closed date (staff)."""
    require_auth(req, roles=STAFF)
    day = _date(req.path_params["day"])
    with session_scope() as session:
        admin.remove_closure(session, day)


# Twilio -----------------------------------------------------------------------------------


@api.post(
    "/variables",
    prefix="/webhooks/hanok_table",
    body=CallerVariablesForm,
    body_format="form",
    response=booking.CallerProfile,
)
def caller_variables(req: ApiRequest) -> booking.CallerProfile:
    """The caller's profile (name, upcoming bookings, VIP) for a Twilio-signed request."""
    if not is_signed_by_twilio(req.raw):
        raise ApiError(403, "invalid_signature", "The request is not signed by Twilio.")
    form: CallerVariablesForm = req.body
    try:
        phone = normalize_e164(form.From or form.Caller or "")
    except InvalidPhoneNumber:
        raise ApiError(422, "invalid_caller", "The request names no valid caller number.") from None
    return read(lambda session: booking.caller_profile(session, phone))


# Helpers ----------------------------------------------------------------------------------


def _optional_caller(req: ApiRequest, roles: tuple[str, ...] = ()) -> Principal | None:
    """The caller when a bearer token is sent (an invalid one is still 401); else None."""
    if req.bearer_token() is None:
        return None
    principal = require_auth(req)
    return principal if not roles or principal.has_role(*roles) else None


def _short(value: str) -> str:
    """Ids and codes are short and printable; anything else cannot exist (404, not a DB error)."""
    if len(value) > 64 or not value.isprintable():
        raise ApiError(404, "not_found", "Not found.")
    return value


def _check_slug(value: str) -> None:
    if len(value) > 64 or not booking.MENU_SLUG.fullmatch(value):
        raise ApiError(422, "invalid_menu_id", "A menu id is a lower-case slug like `bulgogi`.")


def _date(value: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is None or not 2000 <= day.year <= 2200:
        raise ApiError(422, "invalid_date", "The date must be YYYY-MM-DD (years 2000-2200).")
    return day


@functions_framework.http
def reservations(request: flask.Request) -> flask.Response:
    return api.handle(request)
