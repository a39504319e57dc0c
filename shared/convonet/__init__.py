"""Convonet: the core library every function and the voice gateway import.

Pydantic looks for plugins the first time it builds a validator by reading the entry points of
every installed distribution, some 10 ms of each cold start; Convonet uses no pydantic plugin,
so the search is switched off here, before any model is built, unless the environment says
otherwise (`PYDANTIC_DISABLE_PLUGINS=""` turns the search back on).
"""

import os

os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
