"""A real transfer between two browser pages through Kamailio: the call center registers as
extension 2001 with its short-lived credentials (auth_ephemeral checks them) and goes ready;
the voice assistant, asked for a person, receives the `transfer` frame and calls 2001 with
JsSIP carrying X-Convonet-Transfer-Id; the agent's phone rings with that transfer's pop-up,
the agent answers, both pages show the connected call (its audio path too: ICE between the two
tabs on this host with Chromium's fake microphone), and the caller's hang-up ends it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.test_web_pages import AGENT, sign_in
from tests.fixtures.browser import WebStack, screenshot
from tests.fixtures.kamailio import Kamailio, fake_media_browser

pytestmark = pytest.mark.browser

DEMO_PIN = "2468"


@pytest.fixture(scope="module")
def web_stack(kamailio_web_stack: WebStack) -> WebStack:
    """Every page of this module talks to the dev server whose PBX is Kamailio."""
    return kamailio_web_stack


@pytest.fixture(scope="module")
def browser(browser: Any) -> Iterator[Any]:
    chromium = fake_media_browser(browser)
    yield chromium
    chromium.close()


@pytest.fixture
def voice_page(page: Any) -> Iterator[Any]:
    """A second tab (its own sessionStorage) that fails the test on console errors, too."""
    tab = page.context.new_page()
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    yield tab
    assert not errors, f"console errors on the voice page: {errors}"


def start_shift(agent: Any) -> None:
    agent.goto("/call-center")
    sign_in(agent, AGENT)
    agent.click("#btn-login")
    expect(agent.locator("#sip-state")).to_have_attribute("data-state", "registered")
    agent.click("#btn-ready")
    expect(agent.locator("#agent-state")).to_have_attribute("data-state", "ready")


def ask_for_a_person(voice: Any) -> str:
    voice.goto("/voice_assistant")
    voice.fill("#pin", DEMO_PIN)
    voice.click("#pin-form button[type=submit]")
    expect(voice.locator("#talk")).to_be_visible()
    voice.fill("#text-input", "transfer me to a human agent")
    voice.press("#text-input", "Enter")
    transfer = voice.locator("#transfer")
    expect(transfer).to_be_visible(timeout=20000)
    expect(voice.locator("#transfer-who")).to_contain_text("extension 2001")
    return str(transfer.get_attribute("data-transfer-id"))


def test_a_voice_caller_is_transferred_to_a_ready_agent(
    page: Any, voice_page: Any, kamailio: Kamailio
) -> None:
    agent, voice = page, voice_page
    start_shift(agent)
    transfer_id = ask_for_a_person(voice)
    expect(voice.locator("#transfer-state")).to_have_attribute(
        "data-state", re.compile("calling|ringing"), timeout=15000
    )

    expect(agent.locator("#incoming")).to_be_visible(timeout=15000)
    popup = agent.locator("#popup")
    expect(popup).to_be_visible()
    expect(popup.locator("#popup-title")).to_have_text("Demo User")
    expect(popup.locator("#popup-conversation")).to_contain_text("transfer me to a human agent")
    assert kamailio.relayed(transfer_id)
    screenshot(agent, "sip_transfer_agent_popup")
    agent.click("#popup-close")
    agent.click("#btn-answer")

    expect(agent.locator("#in-call")).to_be_visible(timeout=15000)
    expect(agent.locator("#agent-state")).to_have_attribute("data-state", "on_call")
    expect(voice.locator("#transfer-state")).to_have_attribute("data-state", "connected")
    expect(voice.locator("#transfer")).to_have_attribute("data-media", "connected")  # ICE + DTLS
    screenshot(voice, "sip_transfer_voice_connected")

    voice.click("#transfer-hangup")
    expect(voice.locator("#transfer-state")).to_have_attribute("data-state", "ended")
    expect(agent.locator("#in-call")).to_be_hidden(timeout=15000)
    expect(agent.locator("#agent-state")).to_have_attribute("data-state", "wrap_up")
