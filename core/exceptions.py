"""One hierarchy of domain errors: a code, a message, extra data.

Services raise these; HTML views turn them into form errors or messages, the API
turns them into {"error": {"code", "message", ...extra}} with `status`.
"""


class DomainError(Exception):
    code = "error"
    status = 400
    default_message = "Something went wrong with this request."

    def __init__(self, message: str | None = None, *, code: str | None = None, **extra):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.extra = extra
        super().__init__(self.message)

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, **self.extra}


class InvalidInput(DomainError):
    code = "invalid"
    status = 400
    default_message = "Some of the information given is not valid."


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = "Not found."


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    default_message = "You do not have permission to do that."


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = "That conflicts with the current state."


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    default_message = "Too many attempts. Please slow down."

    def __init__(self, message: str | None = None, *, retry_after: int, **extra):
        super().__init__(message, retry_after=retry_after, **extra)
        self.retry_after = retry_after
