"""The base of request and response models that a light function's cold start should not build.

Pydantic builds a model's validator and serializer when the class is created, a few
milliseconds each; with `defer_build` that happens on the model's first use instead, so a
function's first request pays only for the models it touches (the reservations function
declares about forty, its menu uses two). Subclasses keep their own `model_config`; pydantic
merges it with this one.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Schema(BaseModel):
    model_config = ConfigDict(defer_build=True)
