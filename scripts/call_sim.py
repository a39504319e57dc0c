"""Place a simulated phone call against the local stack (`make dev`), as Twilio would.

Each step is a signed webhook (the real `twilio` RequestValidator, TWILIO_AUTH_TOKEN's dev
value by default): the call starts from --caller, --pin is typed on the keypad when asked, each
remaining argument is spoken in turn ("" stays silent), --dial-outcome answers a transfer,
and the call hangs up at the end. The dialogue is printed as a script.

    .venv/bin/python scripts/call_sim.py --pin 2468 "add a todo to buy milk" "goodbye"
    .venv/bin/python scripts/call_sim.py --caller +14155550101 "transfer me to a human agent" \\
        --dial-outcome busy
"""

from __future__ import annotations

import argparse
import sys

import httpx
from convonet.telephony.simulator import CallSimulator, describe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("utterances", nargs="*", help="what the caller says, turn by turn")
    parser.add_argument("--base-url", default="http://127.0.0.1:8080", help="the local stack")
    parser.add_argument("--public-url", help="the URL Twilio would call (default: --base-url)")
    parser.add_argument("--caller", default="+14155550177", help="the caller's number (E.164)")
    parser.add_argument("--to", default="+14155550199", help="the number called")
    parser.add_argument("--pin", help="typed on the keypad when the assistant asks for it")
    parser.add_argument("--auth-token", help="TWILIO_AUTH_TOKEN to sign with (default: settings)")
    parser.add_argument("--dial-outcome", help="answer a transfer: completed, busy, no-answer")
    args = parser.parse_args(argv)

    with httpx.Client(timeout=30) as http:
        call = CallSimulator(
            args.base_url,
            http,
            caller=args.caller,
            called=args.to,
            auth_token=args.auth_token,
            public_url=args.public_url or args.base_url,
        )
        answer = call.start()
        if answer.status != 200:
            print(f"the stack answered {answer.status}: {answer.text}", file=sys.stderr)
            return 1
        if args.pin and answer.gather is not None and "PIN" in answer.spoken:
            answer = call.press(args.pin)
        for text in args.utterances:
            if answer.hangs_up and answer.gather is None:
                break
            answer = call.say(text) if text else call.silence()
            if answer.dial is not None and args.dial_outcome:
                answer = call.dial_outcome(args.dial_outcome)
        call.hang_up()
    print(describe(call.log))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
