"""Google Calendar: the OAuth authorization-code flow and the Calendar API v3 over httpx.

Base URLs come from settings (GOOGLE_CALENDAR_API_URL, GOOGLE_OAUTH_*), so tests answer the
real client code from a loopback server with recorded Google payloads. Events live on the
user's `primary` calendar; an expired access token is refreshed once and the call retried.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from convonet.calendar import CalendarAuthError, CalendarError, EventData, RemoteEvent
from convonet.config import Settings, get_settings

if TYPE_CHECKING:
    import httpx

SCOPE = "https://www.googleapis.com/auth/calendar.events"
EVENTS_PATH = "/calendars/primary/events"
LIST_PAGE_SIZE = 250
MAX_LIST_PAGES = 8

# Called with force=True after a 401: return a freshly refreshed access token.
TokenSource = Callable[[bool], str]


@dataclass(frozen=True)
class OAuthTokens:
    access_token: str
    expires_in: int
    refresh_token: str | None
    scope: str | None


class GoogleOAuth:
    """Google's OAuth 2.0 endpoints for a confidential web client."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings or get_settings()

    @property
    def configured(self) -> bool:
        return bool(self._settings.google_oauth_client_id)

    def authorization_url(self, state: str, redirect_uri: str) -> str:
        query = {
            "client_id": self._settings.google_oauth_client_id or "",
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": SCOPE,
            "access_type": "offline",
            "prompt": "consent",
            "include_granted_scopes": "true",
            "state": state,
        }
        return f"{self._settings.google_oauth_auth_url}?{urlencode(query)}"

    def exchange_code(self, code: str, redirect_uri: str) -> OAuthTokens:
        return self._token_request(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        )

    def refresh(self, refresh_token: str) -> OAuthTokens:
        return self._token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def revoke(self, token: str) -> None:
        _send("POST", self._settings.google_oauth_revoke_url, self._settings, data={"token": token})

    def _token_request(self, form: dict[str, str]) -> OAuthTokens:
        form |= {
            "client_id": self._settings.google_oauth_client_id or "",
            "client_secret": self._settings.secret("google_oauth_client_secret"),
        }
        response = _send("POST", self._settings.google_oauth_token_url, self._settings, data=form)
        body = _json(response)
        if response.status_code == 400 and body.get("error") == "invalid_grant":
            raise CalendarAuthError(400, "Google no longer accepts this calendar grant.")
        _raise_for_status(response, body)
        try:
            return OAuthTokens(
                access_token=str(body["access_token"]),
                expires_in=int(body.get("expires_in", 3600)),
                refresh_token=body.get("refresh_token"),
                scope=body.get("scope"),
            )
        except (KeyError, TypeError, ValueError):
            raise CalendarError(502, "Google sent an unreadable token response.") from None


class GoogleCalendar:
    """The user's primary Google calendar (implements convonet.calendar.CalendarBackend)."""

    synced = True

    def __init__(self, token: TokenSource, settings: Settings | None = None) -> None:
        self._token = token
        self._settings = settings or get_settings()

    def insert(self, event: EventData) -> str | None:
        return str(self._call("POST", EVENTS_PATH, json=_to_google(event))["id"])

    def patch(self, remote_id: str, event: EventData) -> None:
        self._call("PATCH", f"{EVENTS_PATH}/{quote(remote_id, safe='')}", json=_to_google(event))

    def delete(self, remote_id: str) -> None:
        self._call("DELETE", f"{EVENTS_PATH}/{quote(remote_id, safe='')}")

    def list(self, time_min: datetime, time_max: datetime) -> list[RemoteEvent]:
        """Events overlapping the window, recurring ones expanded, cancelled ones included."""
        params: dict[str, Any] = {
            "timeMin": time_min.isoformat(),
            "timeMax": time_max.isoformat(),
            "singleEvents": "true",
            "showDeleted": "true",
            "maxResults": LIST_PAGE_SIZE,
        }
        events: list[RemoteEvent] = []
        for _ in range(MAX_LIST_PAGES):
            body = self._call("GET", EVENTS_PATH, params=params)
            events.extend(_from_google(item) for item in body.get("items", []))
            if not body.get("nextPageToken"):
                break
            params["pageToken"] = body["nextPageToken"]
        return events

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        url = self._settings.google_calendar_api_url.rstrip("/") + path
        for force_refresh in (False, True):
            headers = {"Authorization": f"Bearer {self._token(force_refresh)}"}
            response = _send(method, url, self._settings, headers=headers, **kwargs)
            if response.status_code != 401:
                break
        body = _json(response)
        if response.status_code == 401:
            raise CalendarAuthError(401, "Google Calendar refused the user's grant.")
        _raise_for_status(response, body)
        return body


def _send(method: str, url: str, settings: Settings, **kwargs: Any) -> httpx.Response:
    """One call to Google. httpx is imported by the call that needs it: importing it also loads
    its command-line tools (rich, pygments), ~30 ms of workspace_api's cold start, whose
    requests mostly never reach Google."""
    import httpx

    try:
        with httpx.Client(timeout=settings.calendar_timeout_s) as client:
            return client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        raise CalendarError(0, f"Google could not be reached ({type(exc).__name__}).") from None


def _json(response: httpx.Response) -> dict[str, Any]:
    if response.status_code == 204 or not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _raise_for_status(response: httpx.Response, body: dict[str, Any]) -> None:
    if response.status_code < 400:
        return
    error = body.get("error")
    if isinstance(error, dict):
        message = str(error.get("message", ""))
    else:
        message = str(body.get("error_description") or error or "")
    raise CalendarError(response.status_code, message or f"Google answered {response.status_code}.")


def _to_google(event: EventData) -> dict[str, Any]:
    return {
        "summary": event.title,
        "description": event.description,
        "location": event.location,
        "start": {"dateTime": event.starts_at.isoformat(), "timeZone": "UTC"},
        "end": {"dateTime": event.ends_at.isoformat(), "timeZone": "UTC"},
    }


def _from_google(item: dict[str, Any]) -> RemoteEvent:
    remote_id = str(item["id"])
    if item.get("status") == "cancelled":
        return RemoteEvent(remote_id, None)
    return RemoteEvent(
        remote_id,
        EventData(
            title=str(item.get("summary") or "(no title)")[:500],
            starts_at=_when(item.get("start", {})),
            ends_at=_when(item.get("end", {})),
            description=item.get("description"),
            location=item.get("location"),
        ),
    )


def _when(value: dict[str, Any]) -> datetime:
    """A Google start/end: `dateTime` (with offset) or an all-day `date` (midnight UTC)."""
    if "dateTime" in value:
        return datetime.fromisoformat(value["dateTime"]).astimezone(UTC)
    return datetime.fromisoformat(value["date"]).replace(tzinfo=UTC)
