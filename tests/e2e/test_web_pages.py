"""The web pages in Debian's Chromium against the dev server: each page loads without console
errors (a screenshot of each goes to test-artifacts/screenshots/), a guest books a table and
finds it again, a supervisor sees a new agent turn arrive live, an agent starts a shift with a
registered softphone and opens the pop-up of a transferred caller, staff seat a booking.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from convonet.manifest import REPO_ROOT
from convonet.state.local import LocalStateStore
from convonet.telephony.transfer import CONTEXT
from playwright.sync_api import expect

from tests.fixtures.browser import SipRegistrar, WebStack, screenshot

pytestmark = pytest.mark.browser

DEMO = ("demo@convonet.dev", "convonet-demo")
SUPERVISOR = ("supervisor@convonet.dev", "convonet-demo")
AGENT = ("agent2001@convonet.dev", "convonet-demo")
STAFF = ("staff@convonet.dev", "convonet-demo")


def sign_in(page: Any, who: tuple[str, str]) -> None:
    page.fill("#email", who[0])
    page.fill("#password", who[1])
    page.click("#sign-in-form button[type=submit]")
    expect(page.locator("#sign-in")).to_be_hidden()


def token(stack: WebStack, who: tuple[str, str]) -> str:
    response = httpx.post(
        f"{stack.base}/api/auth/login", json={"email": who[0], "password": who[1]}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.mark.parametrize(
    ("path", "ready"),
    [
        ("/", "#health[data-checked]"),
        ("/reserve-online", "#menu .menu-line"),
        ("/reservation/status", "#by-code"),
        ("/call-center", "#sign-in-form"),
        ("/agent-monitor", "#sign-in-form"),
        ("/tool-execution", "#sign-in-form"),
        ("/mortgage_dashboard", "#sign-in-form"),
        ("/admin/reservations", "#sign-in-form"),
        ("/docs", "#apis[data-ready]"),
    ],
)
def test_every_page_loads_without_console_errors(page: Any, path: str, ready: str) -> None:
    page.allowed_errors = [r"status of 501"]  # the landing page shows unbuilt functions as such
    page.goto(path)
    page.wait_for_selector(ready, state="attached")
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("#site-nav a[aria-current=page]")).to_have_count(1)
    name = path.strip("/").replace("/", "_") or "home"
    screenshot(page, name)


def test_landing_page_reports_each_functions_health(page: Any) -> None:
    page.allowed_errors = [r"status of 501"]
    page.goto("/")
    page.wait_for_selector("#health[data-checked]")
    auth_row = page.locator("#health tr", has_text="auth_api")
    expect(auth_row.locator(".badge")).to_have_text("healthy")
    expect(page.locator("#health tr", has_text="call_center_api").locator(".badge")).to_have_text(
        "healthy"
    )


def test_docs_render_every_functions_openapi(page: Any) -> None:
    page.goto("/docs")
    page.wait_for_selector("#apis[data-ready]")
    section = page.locator("section#call_center_api")
    expect(section.locator(".operation", has_text="/call-center/api/agent/login")).to_have_count(1)
    expect(page.locator("section#reservations .operation").first).to_be_visible()


def test_docs_index_is_rendered_from_the_manifest() -> None:
    check = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "build_web.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout


def test_a_guest_books_a_table_and_finds_it_again(page: Any) -> None:
    page.goto("/reserve-online")
    page.fill("#name", "Mina Park")
    page.fill("#phone", "(415) 555-0177")
    page.fill("#party", "4")
    page.click("#find")
    first_slot = page.locator("#slots input[type=radio]").first
    expect(first_slot).to_be_attached()
    page.locator("#slots label").first.click()
    page.fill("#qty-bulgogi", "2")
    expect(page.locator("#subtotal")).to_have_text("$48.00")
    expect(page.locator("#discount")).to_have_text("−$3.36")
    expect(page.locator("#total")).to_have_text("$44.64")
    page.fill("#requests", "Birthday dinner")
    page.click("#book")
    code = page.locator("#code")
    expect(code).to_have_text(re.compile(r"^HNK-[A-Z0-9]{4}$"))
    booked = code.inner_text()
    screenshot(page, "reserve-online_confirmation")

    page.click("#status-link")
    card = page.locator(f"article.reservation[data-code='{booked}']")
    expect(card).to_be_visible()
    expect(card).to_contain_text("4")

    page.fill("#phone", "+14155550177")
    page.fill("#name", "Mina Park")
    page.click("#by-phone button[type=submit]")
    editable = page.locator(f"article.reservation[data-code='{booked}']")
    expect(editable.locator("button.danger")).to_be_visible()
    screenshot(page, "reservation_status_found")
    editable.locator("button.danger").click()
    expect(page.locator("#notice")).to_contain_text("cancelled")

    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("예약 조회")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    page.click("#lang-switch")


def test_the_monitor_shows_a_new_turn_without_a_reload(page: Any, web_stack: WebStack) -> None:
    page.goto("/agent-monitor")
    sign_in(page, SUPERVISOR)
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    expect(page.locator("#interactions")).to_have_attribute("data-loaded", "true")
    before = page.locator("#interactions > li").count()
    prompt = f"add a todo to water the plants {datetime.now(UTC).strftime('%H%M%S')}"
    turn = httpx.post(
        f"{web_stack.base}/agent/process",
        json={"prompt": prompt},
        headers={"Authorization": f"Bearer {token(web_stack, DEMO)}"},
        timeout=30,
    )
    assert turn.status_code == 200, turn.text
    arrived = page.locator("#interactions > li", has_text=prompt)
    expect(arrived).to_have_count(1, timeout=20000)
    assert page.locator("#interactions > li").count() == before + 1
    arrived.locator("summary").first.click()
    expect(arrived.locator("table code", has_text="create_todo")).to_be_visible()
    expect(arrived.locator("svg[aria-label='Latency waterfall'] rect").first).to_be_attached()
    screenshot(page, "agent-monitor_live_turn")

    page.goto("/tool-execution")
    expect(page.locator("#calls tr.tool-call", has_text="create_todo").first).to_be_visible()
    screenshot(page, "tool-execution_ledger")


def test_the_call_center_registers_and_pops_up_a_transferred_caller(
    page: Any, web_stack: WebStack, sip_registrar: SipRegistrar
) -> None:
    store = LocalStateStore(web_stack.data_dir / "state.db")
    store.set(
        CONTEXT,
        "tr-browser-1",
        {
            "transfer_id": "tr-browser-1",
            "call_sid": "CAbrowser0001",
            "department": "support",
            "reason": "Wants to move a Friday reservation.",
            "caller_phone": "+14155550100",
            "profile": {"name": "Demo User"},
            "conversation": [
                {"role": "user", "content": "Can I talk to a person about my booking?"},
                {"role": "assistant", "content": "Of course, transferring you now."},
            ],
            "summary": "Demo User wants a person: Wants to move a Friday reservation.",
        },
        ttl_s=600,
    )
    page.goto("/call-center")
    sign_in(page, AGENT)
    state = page.locator("#agent-state")
    expect(state).to_have_attribute("data-state", "logged_out")
    page.click("#btn-login")
    expect(state).to_have_attribute("data-state", "not_ready")
    expect(page.locator("#sip-state")).to_have_attribute("data-state", "registered")
    assert sip_registrar.registered("2001")
    page.click("#btn-ready")
    expect(state).to_have_attribute("data-state", "ready")

    page.fill("#lookup-value", "tr-browser-1")
    page.click("#lookup-form button[type=submit]")
    popup = page.locator("#popup")
    expect(popup).to_be_visible()
    expect(popup.locator("#popup-title")).to_have_text("Demo User")
    expect(popup.locator("#popup-reason")).to_have_text("Wants to move a Friday reservation.")
    expect(popup.locator("#popup-conversation li")).to_have_count(2)
    expect(popup.locator("#popup-calls li").first).to_contain_text("completed")
    screenshot(page, "call-center_popup")
    page.click("#popup-close")
    page.click("#btn-logout")
    expect(state).to_have_attribute("data-state", "logged_out")


def test_signed_in_pages_show_their_data(page: Any, web_stack: WebStack) -> None:
    page.goto("/mortgage_dashboard")
    sign_in(page, DEMO)
    expect(page.locator(".application").first).to_be_visible()
    screenshot(page, "mortgage_dashboard_signed_in")
    page.evaluate("sessionStorage.clear()")

    page.goto("/admin/reservations")
    sign_in(page, STAFF)
    page.fill("#day", "")
    page.click("#filter button[type=submit]")
    expect(page.locator("#rows tr").first).to_be_visible()
    screenshot(page, "admin_reservations_signed_in")
