"""The typed HTTP layer every HTTP function uses."""

from convonet.http.api import ApiRequest, ApiResult, HttpApi, json_response, to_response
from convonet.http.errors import ApiError

__all__ = ["ApiError", "ApiRequest", "ApiResult", "HttpApi", "json_response", "to_response"]
