"""/voice_assistant in Debian's Chromium against the dev server, with Chromium's fake microphone
playing a WAV of a spoken request (synthesised here with the offline TTS): the page signs in by
PIN, pushes to talk with the Space bar over the greeting (a barge-in), shows the final
transcript and the streamed reply, plays the reply's audio through Web Audio, and draws the
turn's latency waterfall; with no console error.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from convonet.speech import build_tts
from convonet.speech.base import synthesize
from convonet.voice.audio import STT_RATE, duration_ms, silence, write_wav
from playwright.sync_api import expect

from tests.fixtures.browser import screenshot
from tests.fixtures.kamailio import fake_media_browser

pytestmark = pytest.mark.browser

REQUEST = "add a todo to buy bread"
DEMO_PIN = "2468"


@pytest.fixture(scope="module")
def spoken_request(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """The request as a 16 kHz WAV with silence around it, and how long to hold the talk key:
    past the request, but released before the fake microphone loops the file."""
    speech_of = synthesize(build_tts("offline"), REQUEST, sample_rate=STT_RATE)
    with ThreadPoolExecutor(1) as worker:  # Playwright's sync API holds this thread's loop
        speech = worker.submit(asyncio.run, speech_of).result()
    pcm = silence(300, STT_RATE) + speech + silence(1500, STT_RATE)
    path = tmp_path_factory.mktemp("fake-mic") / "request.wav"
    path.write_bytes(write_wav(pcm, STT_RATE))
    return path, duration_ms(pcm, STT_RATE) / 1000 - 0.5


@pytest.fixture(scope="module")
def browser(browser: Any, spoken_request: tuple[Path, float]) -> Iterator[Any]:
    chromium = fake_media_browser(browser, spoken_request[0])
    yield chromium
    chromium.close()


def played_chunks(page: Any) -> int:
    return int(page.locator("#audio-state").get_attribute("data-played-chunks"))


def sign_in_by_pin(page: Any) -> None:
    page.goto("/voice_assistant")
    expect(page.locator("#site-nav a[aria-current=page]")).to_have_text("Voice assistant")
    page.fill("#pin", DEMO_PIN)
    page.click("#pin-form button[type=submit]")
    expect(page.locator("#talk")).to_be_visible()
    expect(page.locator("#user-name")).not_to_be_empty()


def test_the_page_loads_and_speaks_korean(page: Any) -> None:
    page.goto("/voice_assistant")
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_have_text("Voice assistant")
    screenshot(page, "voice_assistant")
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("음성 비서")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    page.click("#lang-switch")
    expect(page.locator("#pin-form button[type=submit]")).to_have_text("Start talking")


def test_a_wrong_pin_is_refused_and_nothing_opens(page: Any) -> None:
    page.goto("/voice_assistant")
    page.fill("#pin", "12")
    page.click("#pin-form button[type=submit]")
    expect(page.locator("#sign-in-notice")).to_contain_text("4 to 8 digits")
    page.fill("#pin", "9999")
    page.click("#pin-form button[type=submit]")
    expect(page.locator("#sign-in-notice")).to_contain_text("did not work")
    expect(page.locator("#talk")).to_be_hidden()


def test_a_spoken_request_is_answered_aloud(page: Any, spoken_request: tuple[Path, float]) -> None:
    sign_in_by_pin(page)
    greeting = page.locator("#conversation li.assistant").first
    expect(greeting).to_contain_text("What can I help you with")
    page.wait_for_function(
        "Number(document.querySelector('#audio-state').dataset.playedChunks) > 0"
    )

    page.keyboard.down("Space")  # over the greeting: a barge-in, then the request
    expect(page.locator("#talk-button")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#stage")).to_have_attribute("data-stage", "recording")
    page.wait_for_timeout(spoken_request[1] * 1000)
    page.keyboard.up("Space")
    expect(page.locator("#talk-button")).to_have_attribute("aria-pressed", "false")
    before = played_chunks(page)

    heard = page.locator("#conversation li.user")
    expect(heard).to_have_count(1, timeout=20000)
    expect(heard.locator(".text")).to_have_text(REQUEST)
    reply = page.locator("#conversation li.user + li.assistant .text")
    expect(reply).to_contain_text("bread", timeout=20000)
    page.wait_for_function(
        f"Number(document.querySelector('#audio-state').dataset.playedChunks) > {before}"
    )
    expect(
        page.locator("#waterfall svg[aria-label='Latency waterfall'] rect").first
    ).to_be_attached(timeout=20000)
    expect(page.locator("#stage")).to_have_attribute("data-stage", "ready", timeout=20000)
    screenshot(page, "voice_assistant_spoken_turn")


def test_a_typed_request_streams_and_can_be_interrupted(page: Any) -> None:
    sign_in_by_pin(page)
    page.wait_for_function(
        "(s => Number(s.playedChunks) > 0 && s.audioState === 'idle')"
        "(document.querySelector('#audio-state').dataset)"
    )  # the greeting has been heard
    page.fill("#text-input", "what are my todos")
    page.press("#text-input", "Enter")
    expect(page.locator("#conversation li.user .text")).to_have_text("what are my todos")
    expect(page.locator("#conversation li.user + li.assistant .text")).not_to_be_empty()
    page.wait_for_function(
        "document.querySelector('#audio-state').dataset.audioState === 'playing'"
    )
    page.locator("#talk-title").click()  # focus off the text box, so Escape reaches the page
    page.keyboard.press("Escape")
    expect(page.locator("#audio-state")).to_have_attribute("data-audio-state", "idle")
    expect(page.locator("#stage")).to_have_attribute(
        "data-stage", re.compile("interrupted|ready"), timeout=20000
    )


def test_a_dropped_socket_resumes_the_same_session(page: Any) -> None:
    """The gateway restarts (1012): the page reconnects with its resume token and carries on."""
    connections: list[dict[str, Any]] = []

    def relay(socket: Any) -> None:
        server = socket.connect_to_server()
        link: dict[str, Any] = {"page": socket, "server": server, "sent": [], "received": []}

        def upstream(message: str | bytes) -> None:
            link["sent"].append(json.loads(message))
            server.send(message)

        def downstream(message: str | bytes) -> None:
            link["received"].append(json.loads(message))
            socket.send(message)

        socket.on_message(upstream)
        server.on_message(downstream)
        connections.append(link)

    def until(done: Any) -> None:
        for _ in range(200):
            if done():
                return
            page.wait_for_timeout(50)
        pytest.fail("the page did not get there")

    page.route_web_socket("**/webrtc/ws", relay)
    sign_in_by_pin(page)
    # Drop once the greeting is over: the resume token of its `ready` is the live one.
    until(lambda: any(f.get("stage") == "ready" for f in connections[0]["received"]))
    connections[0]["server"].close()
    connections[0]["page"].close(code=1012, reason="server restarting; resume")
    until(lambda: len(connections) == 2 and connections[1]["sent"])
    first = connections[1]["sent"][0]
    assert first["type"] == "authenticate" and first.get("resume_token")
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    page.fill("#text-input", "what are my todos")
    page.press("#text-input", "Enter")
    expect(page.locator("#conversation li.user .text")).to_have_text("what are my todos")
    expect(page.locator("#conversation li.assistant")).to_have_count(2, timeout=20000)


def test_hands_free_ends_the_utterance_on_a_pause(page: Any) -> None:
    """Streaming mode: the gateway's VAD hears the pause after the request and answers it."""
    sign_in_by_pin(page)
    page.check("input[name=mode][value=handsfree]")
    page.click("#talk-button")
    expect(page.locator("#talk-button")).to_have_attribute("aria-pressed", "true")
    heard = page.locator("#conversation li.user .text").first
    expect(heard).to_have_text(REQUEST, timeout=20000)
    expect(page.locator("#conversation li.user + li.assistant .text").first).to_contain_text(
        "bread", timeout=20000
    )
    page.click("#talk-button")
    expect(page.locator("#talk-button")).to_have_attribute("aria-pressed", "false")
