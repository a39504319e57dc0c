"""The API of a function whose issue has not landed: 501 everywhere, said plainly."""

from __future__ import annotations

from convonet.http.api import HttpApi
from convonet.manifest import by_name


def unbuilt_api(name: str) -> HttpApi:
    spec = by_name(name)
    return HttpApi(
        spec.name,
        title=f"Convonet {spec.name}",
        prefixes=spec.paths,
        description=spec.summary,
        built=False,
    )
