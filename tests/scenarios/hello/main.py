"""The baseline for cold starts: the smallest functions-framework HTTP function."""

import functions_framework


@functions_framework.http
def hello(request):  # type: ignore[no-untyped-def]
    return "hello"
