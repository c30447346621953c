"""The errors a service's logic raises for the router to answer: the library's, subclassed by it.

The router (lambda_http.router) maps these to HTTP answers, so it never names a class of the
service: a service's own exception subclasses one of them and says what the client reads.
"""

from __future__ import annotations

from typing import ClassVar


class InvalidInput(ValueError):
    """Input that passed validation but that the logic cannot use: a 400 whose one problem is
    `field` (set by the subclass) and the exception's message."""

    field: ClassVar[str] = "body"


class Unavailable(Exception):
    """A dependency (a store, a downstream API) could not be reached: a 503 with `Retry-After`
    whose message is `answer` (set by the subclass), counted as a store failure in the
    metrics. The exception's own message goes to the log only."""

    answer: ClassVar[str] = "A dependency is unavailable. Try again shortly."
