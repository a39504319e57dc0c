"""transfer_callback: the `<Dial>` action after a transfer to a person, at
/twilio/transfer_callback?transfer_id=...

`completed`: the caller talked to the agent and the call ends. `busy`, `no-answer`, `failed`:
the caller comes back to the assistant, which apologises, has a callback request opened for
the department and offers a voicemail. Every outcome is published as a TransferEvent. Signed by
Twilio and answered once, like every Twilio webhook.
"""

from __future__ import annotations

from convonet.process import function_imports

with function_imports():
    from typing import Annotated

    import flask
    import functions_framework
    from convonet.http import ApiRequest, HttpApi
    from convonet.observability import start_component
    from convonet.telephony import conversation, twiml
    from convonet.telephony.webhook import answer_twilio
    from pydantic import BaseModel, ConfigDict, Field

start_component("transfer_callback")

api = HttpApi(
    "transfer_callback",
    title="Convonet transfer callback",
    prefixes=("/twilio/transfer_callback",),
    description="Twilio's <Dial> outcome after a transfer to a human agent.",
)


class DialForm(BaseModel):
    """Twilio's `<Dial>` action parameters; the ones read are typed, the rest are ignored."""

    model_config = ConfigDict(extra="allow")

    CallSid: Annotated[str, Field(pattern=r"^CA[0-9a-fA-F]{32}$")]
    DialCallStatus: Annotated[str, Field(pattern=r"^[a-z-]{1,32}$")]


class DialQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transfer_id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]


@api.post("/", body=DialForm, query=DialQuery, body_format="form")
def dial_outcome(req: ApiRequest) -> flask.Response:
    """How the transfer's `<Dial>` ended: hang up, or back to the assistant with a callback."""
    form: DialForm = req.body
    query: DialQuery = req.query
    return answer_twilio(
        req.raw,
        lambda _: conversation.transfer_result(query.transfer_id, form.DialCallStatus),
        fallback=twiml.offer_voicemail,
    )


@functions_framework.http
def transfer_callback(request: flask.Request) -> flask.Response:
    return api.handle(request)
