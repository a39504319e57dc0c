"""SuiteCRM 8 client over its V8 JSON:API (`{SUITECRM_URL}/Api/V8/module`).

OAuth2 client credentials against `{SUITECRM_URL}/Api/access_token`; the token is cached until
shortly before it expires and refreshed once when SuiteCRM answers 401 anyway (revoked, or the
CRM restarted). Every request has a budget (SUITECRM_TIMEOUT_S). Failures surface as domain
errors: a CRM that is down or slow is `Unavailable` (503, retryable), a refused record
`Invalid`, a missing one `NotFound`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from convonet.clock import get_clock
from convonet.config import Settings
from convonet.crm import Patient, Priority, contact_fields
from convonet.domain.errors import Invalid, NotFound, Unavailable

PATIENT_FIELDS = ("first_name", "last_name", "phone_mobile", "email1", "title", "department")
# Refresh this long before SuiteCRM's stated expiry, so a token never dies mid-request.
TOKEN_MARGIN_S = 60


class SuiteCrmClient:
    def __init__(
        self, base_url: str, client_id: str, client_secret: str, timeout_s: float = 15.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout_s)
        self._token: str | None = None
        self._token_expires: datetime | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> SuiteCrmClient:
        return cls(
            settings.suitecrm_url or "",
            settings.suitecrm_client_id or "",
            settings.secret("suitecrm_client_secret"),
            settings.suitecrm_timeout_s,
        )

    def close(self) -> None:
        self._http.close()

    # The CRM port ---------------------------------------------------------------------------

    def find_patient(self, phone_e164: str) -> Patient | None:
        params = {
            "filter[phone_mobile][eq]": phone_e164,
            "fields[Contacts]": ",".join((*PATIENT_FIELDS, "birthdate")),
            "page[size]": "1",
        }
        found = self._request("GET", "/Api/V8/module/Contacts", params=params).get("data") or []
        return _patient(found[0]) if found else None

    def create_patient(
        self,
        first_name: str,
        last_name: str,
        phone_e164: str,
        birthdate: date | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> Patient:
        attributes = contact_fields(first_name, last_name, phone_e164, birthdate, extra)
        return _patient(self._create("Contacts", attributes))

    def create_case(
        self, patient_id: str, subject: str, description: str, priority: Priority
    ) -> str:
        attributes = {
            "name": subject,
            "description": description,
            "priority": priority,
            "status": "Open_New",
            "state": "Open",
            "type": "User",
        }
        case_id = str(self._create("Cases", attributes)["id"])
        self._link("Cases", case_id, "Contacts", patient_id)
        return case_id

    def create_meeting(
        self,
        patient_id: str,
        subject: str,
        date_start: datetime,
        duration_minutes: int,
        case_id: str,
    ) -> str:
        start = date_start.astimezone(UTC)
        attributes = {
            "name": subject,
            "date_start": start.isoformat(),
            "date_end": (start + timedelta(minutes=duration_minutes)).isoformat(),
            "duration_hours": duration_minutes // 60,
            "duration_minutes": duration_minutes % 60,
            "status": "Planned",
            "parent_type": "Cases",
            "parent_id": case_id,
        }
        meeting_id = str(self._create("Meetings", attributes)["id"])
        self._link("Meetings", meeting_id, "Contacts", patient_id)
        return meeting_id

    def create_note(self, patient_id: str, subject: str, content: str) -> str:
        attributes = {
            "name": subject,
            "description": content,
            "contact_id": patient_id,
            "parent_type": "Contacts",
            "parent_id": patient_id,
        }
        return str(self._create("Notes", attributes)["id"])

    # JSON:API plumbing ----------------------------------------------------------------------

    def _create(self, module: str, attributes: Mapping[str, Any]) -> dict[str, Any]:
        body = {"data": {"type": module, "attributes": dict(attributes)}}
        data: dict[str, Any] = self._request("POST", "/Api/V8/module", json=body)["data"]
        return data

    def _link(self, module: str, record_id: str, related: str, related_id: str) -> None:
        body = {"data": {"type": related, "id": related_id}}
        self._request("POST", f"/Api/V8/module/{module}/{record_id}/relationships", json=body)

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> dict[str, Any]:
        response = self._send(method, path, params, json, self._access_token())
        if response.status_code == 401:
            self._forget_token()
            response = self._send(method, path, params, json, self._access_token())
        return _decode(response)

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        json: Any,
        token: str,
    ) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.api+json",
        }
        if json is not None:
            headers["Content-Type"] = "application/vnd.api+json"
        return _guarded(
            lambda: self._http.request(method, path, params=params, json=json, headers=headers)
        )

    def _access_token(self) -> str:
        with self._lock:
            now = get_clock().now()
            if self._token is None or self._token_expires is None or now >= self._token_expires:
                self._token, lifetime = self._fetch_token()
                self._token_expires = now + timedelta(seconds=max(lifetime - TOKEN_MARGIN_S, 0))
            return self._token

    def _forget_token(self) -> None:
        with self._lock:
            self._token = None

    def _fetch_token(self) -> tuple[str, int]:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
        }
        response = _guarded(lambda: self._http.post("/Api/access_token", data=form))
        if response.status_code in (400, 401):
            raise Unavailable("SuiteCRM refused our credentials.", "crm_auth_failed")
        body = _decode(response)
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise Unavailable("SuiteCRM sent no access token.", "crm_auth_failed")
        return token, int(body.get("expires_in") or 3600)


def _guarded(send: Any) -> httpx.Response:
    try:
        response: httpx.Response = send()
    except httpx.TimeoutException:
        raise Unavailable("SuiteCRM did not answer in time.", "crm_timeout") from None
    except httpx.TransportError:
        raise Unavailable("SuiteCRM cannot be reached.", "crm_unreachable") from None
    return response


def _decode(response: httpx.Response) -> dict[str, Any]:
    status = response.status_code
    if status == 401:
        raise Unavailable("SuiteCRM refused our credentials.", "crm_auth_failed")
    if status == 404:
        raise NotFound("SuiteCRM has no such record.", "crm_not_found")
    if status >= 500:
        raise Unavailable(f"SuiteCRM failed ({status}).", "crm_error")
    try:
        body = response.json()
    except ValueError:
        raise Unavailable(
            "SuiteCRM answered with something other than JSON.", "crm_error"
        ) from None
    if status >= 400:
        raise Invalid(f"SuiteCRM refused the record: {_error_detail(body)}", "crm_rejected")
    return body if isinstance(body, dict) else {}


def _error_detail(body: Any) -> str:
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors:
        errors = errors[0]
    if isinstance(errors, dict):
        return str(errors.get("detail") or errors.get("title") or "unknown error")
    return "unknown error"


def _patient(resource: Mapping[str, Any]) -> Patient:
    attributes = resource.get("attributes") or {}
    return Patient(
        id=str(resource["id"]),
        first_name=attributes.get("first_name") or "",
        last_name=attributes.get("last_name") or "",
        phone_mobile=attributes.get("phone_mobile") or None,
        email1=attributes.get("email1") or None,
        title=attributes.get("title") or None,
        department=attributes.get("department") or None,
        birthdate=attributes.get("birthdate") or None,
    )
