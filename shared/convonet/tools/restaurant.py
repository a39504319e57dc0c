"""Hanok restaurant tools: menu, availability and the caller's own reservations.

The tools call the reservation core directly. A guest acts only on bookings they made (their
user id) or that are under their phone (the caller ID on a call, else their account's phone);
anyone else's booking is "not found", whatever id or code the model passes. Staff may act on
any booking. On a voice or phone channel a booking is marked `voice`, which de-duplicates a
request repeated after an interruption.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from convonet.db.engine import session_scope
from convonet.db.models import Reservation, User
from convonet.domain import reservations as booking
from convonet.domain.errors import Forbidden, Invalid, NotFound
from convonet.tools.registry import ToolContext, ToolRegistry

DOMAIN = "restaurant"
_VOICE_CHANNELS = ("voice", "phone")


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoArgs(_Args):
    pass


class AvailabilityArgs(_Args):
    date: booking.BookingDate = Field(description="Local date, YYYY-MM-DD.")
    party_size: booking.PartySize


class CreateArgs(_Args):
    guest_name: booking.GuestName
    party_size: booking.PartySize
    starts_at: booking.StartsAt = Field(
        description="Local restaurant time, e.g. 2026-02-14T19:00 (on the half hour)."
    )
    guest_phone: booking.Phone | None = Field(
        default=None, description="Only if the guest gives a different number to book under."
    )
    duration_minutes: booking.Duration | None = None
    special_requests: booking.Requests | None = None
    preorder: booking.Preorder = Field(
        default_factory=list, description="Dishes to pre-order (7% off): menu ids and quantities."
    )
    preferred_locale: booking.Locale | None = None
    waitlist_if_full: bool = Field(
        default=False, description="Join the waitlist when no table is free (ask the guest)."
    )


class FindArgs(_Args):
    guest_name: booking.GuestName | None = Field(
        default=None, description="Narrow to bookings under this name."
    )


class CodeArgs(_Args):
    confirmation_code: str = Field(max_length=16, description="Like HNK-7KQ2.")


class UpdateArgs(booking.AmendRequest):
    reservation_id: str = Field(max_length=64)


class StatusArgs(_Args):
    reservation_id: str = Field(max_length=64)
    status: Literal["seated", "completed", "cancelled"]
    retention_offer_acknowledged: bool = False


class CancelArgs(_Args):
    reservation_id: str = Field(max_length=64)
    retention_offer_acknowledged: bool = Field(
        default=False,
        description="Set only after offering the guest to reschedule and hearing them decline.",
    )


def register(registry: ToolRegistry) -> None:
    """Adds the eight restaurant tools."""
    add = registry.tool
    add(
        "list_menu_items",
        "Hanok's menu with prices; the ids are what a pre-order names.",
        NoArgs,
        domain=DOMAIN,
        side_effects=False,
    )(_menu)
    add(
        "search_seating_availability",
        "Open booking times at Hanok for a party on a date (restaurant local time).",
        AvailabilityArgs,
        domain=DOMAIN,
        side_effects=False,
    )(_availability)
    add(
        "create_reservation",
        "Book a Hanok table for the caller; confirm name, party size, date and time first. "
        "Returns the confirmation code to read back.",
        CreateArgs,
        domain=DOMAIN,
        side_effects=True,
    )(_create)
    add(
        "get_reservation",
        "The caller's upcoming Hanok reservations (under their phone or account).",
        FindArgs,
        domain=DOMAIN,
        side_effects=False,
    )(_find)
    add(
        "get_reservation_by_code",
        "One of the caller's reservations by its confirmation code.",
        CodeArgs,
        domain=DOMAIN,
        side_effects=False,
    )(_by_code)
    add(
        "update_reservation_details",
        "Change the caller's reservation: time, party size, name, requests or pre-order.",
        UpdateArgs,
        domain=DOMAIN,
        side_effects=True,
    )(_update)
    add(
        "set_reservation_status",
        "Mark a reservation seated or completed (staff), or cancelled.",
        StatusArgs,
        domain=DOMAIN,
        side_effects=True,
    )(_set_status)
    add(
        "cancel_reservation",
        "Cancel the caller's reservation. A large pre-order first needs a retention offer.",
        CancelArgs,
        domain=DOMAIN,
        side_effects=True,
    )(_cancel)


def _menu(_ctx: ToolContext, _args: NoArgs) -> dict[str, Any]:
    with session_scope() as session:
        items = booking.list_menu(session)
    return {"items": [{"id": i.id, "name": i.name, "price_cents": i.price_cents} for i in items]}


def _availability(_ctx: ToolContext, args: AvailabilityArgs) -> dict[str, Any]:
    with session_scope() as session:
        view = booking.availability(session, args.date, args.party_size)
    return {
        "date": view.date.isoformat(),
        "closed": view.closed,
        "closure_reason": view.closure_reason,
        "open_times": [s.starts_at.isoformat() for s in view.slots],
        "full_times": [t.isoformat() for t in view.full_slots],
    }


def _create(ctx: ToolContext, args: CreateArgs) -> dict[str, Any]:
    with session_scope() as session:
        phone = args.guest_phone or _caller_phone(session, ctx)
        if phone is None:
            raise Invalid("Ask the guest for a phone number to book under.", "phone_required")
        request = booking.BookingRequest(
            **args.model_dump(exclude={"guest_phone", "preferred_locale"}),
            guest_phone=phone,
            preferred_locale=args.preferred_locale or _locale(ctx),
            source_channel="voice" if ctx.channel in _VOICE_CHANNELS else "api",
        )
        outcome = booking.create_reservation(session, request, user_id=ctx.user_id)
    return _summary(outcome.reservation)


def _find(ctx: ToolContext, args: FindArgs) -> dict[str, Any]:
    with session_scope() as session:
        found = booking.guest_reservations(
            session,
            user_id=ctx.user_id,
            phone=_caller_phone(session, ctx),
            name=args.guest_name,
        )
        views = [booking.full_view(session, r) for r in found]
    if not views:
        raise NotFound("The caller has no upcoming reservation.", "no_reservation")
    return {"reservations": [_summary(v) for v in views]}


def _by_code(ctx: ToolContext, args: CodeArgs) -> dict[str, Any]:
    with session_scope() as session:
        reservation = _owned(session, ctx, code=args.confirmation_code)
        return _summary(booking.full_view(session, reservation))


def _update(ctx: ToolContext, args: UpdateArgs) -> dict[str, Any]:
    with session_scope() as session:
        reservation = _owned(session, ctx, reservation_id=args.reservation_id)
        changes = booking.AmendRequest(**args.model_dump(exclude={"reservation_id"}))
        return _summary(booking.amend_reservation(session, reservation.id, changes))


def _set_status(ctx: ToolContext, args: StatusArgs) -> dict[str, Any]:
    if args.status != "cancelled" and "staff" not in ctx.roles and "admin" not in ctx.roles:
        raise Forbidden("Only restaurant staff can seat or complete a reservation.", "staff_only")
    with session_scope() as session:
        reservation = _owned(session, ctx, reservation_id=args.reservation_id)
        view = booking.set_status(
            session,
            reservation.id,
            args.status,
            retention_offer_acknowledged=args.retention_offer_acknowledged,
        )
    return _summary(view)


def _cancel(ctx: ToolContext, args: CancelArgs) -> dict[str, Any]:
    with session_scope() as session:
        reservation = _owned(session, ctx, reservation_id=args.reservation_id)
        view = booking.cancel_reservation(
            session,
            reservation.id,
            retention_offer_acknowledged=args.retention_offer_acknowledged,
        )
    return _summary(view)


def _caller_phone(session: Session, ctx: ToolContext) -> str | None:
    """The caller ID on a call, else the phone on the caller's account."""
    if ctx.caller_phone:
        return ctx.caller_phone
    user = session.get(User, ctx.user_id)
    return user.phone_e164 if user is not None else None


def _locale(ctx: ToolContext) -> booking.Locale:
    return "ko" if ctx.locale.lower().startswith("ko") else "en"


def _owned(
    session: Session, ctx: ToolContext, *, reservation_id: str = "", code: str = ""
) -> Reservation:
    """The reservation if the caller may act on it; anyone else's is simply not found."""
    reservation: Reservation | None
    try:
        if code:
            reservation = booking.reservation_by_code(session, code)
        else:
            reservation = booking.reservation_by_id(session, reservation_id)
    except NotFound:
        reservation = None
    staff = bool({"staff", "admin"} & ctx.roles)
    mine = reservation is not None and (
        reservation.user_id == ctx.user_id
        or reservation.guest_phone_e164 == _caller_phone(session, ctx)
    )
    if reservation is None or not (staff or mine):
        raise NotFound("The caller has no reservation matching that.", "reservation_not_found")
    return reservation


def _summary(view: booking.ReservationView) -> dict[str, Any]:
    """Short enough to speak: what the guest needs to hear back."""
    return {
        "reservation_id": view.id,
        "confirmation_code": view.confirmation_code,
        "status": view.status,
        "seating_status": view.seating_status,
        "guest_name": view.guest_name,
        "party_size": view.party_size,
        "starts_at": view.starts_at.isoformat(),
        "ends_at": view.ends_at.isoformat(),
        "tables": [t.label for t in view.tables],
        "preorder": [f"{line.quantity} x {line.name}" for line in view.preorder],
        "food_total_cents": view.total_cents,
        "discount_cents": view.discount_cents,
        "guest_priority": view.guest_priority,
    }
