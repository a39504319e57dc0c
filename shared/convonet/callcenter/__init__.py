"""The human call center: agent states and call events, metrics, softphone credentials and the
customer pop-up. Light: StateStore and SQL only, no telephony SDKs.

`call_center_agents/<user id>` holds each agent's `{user_id, extension, department, state,
state_since, ...}`; transfers (convonet.telephony.transfer) read it to choose who to ring.
"""
