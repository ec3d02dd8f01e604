"""Schemathesis checks for Downwatch, loaded by scripts/api-fuzz (SCHEMATHESIS_HOOKS).

DESIGN.md promises that every 4xx is RFC 9457 `application/problem+json` naming the reason;
`problem_json_for_4xx` holds the server to that for whatever schemathesis sends, including
answers the OpenAPI document does not list (405s, malformed requests, …).
"""

import json
import os

import schemathesis

# The admin token of the server under test (scripts/api-fuzz sets it). Sent only to the
# operations that need it: elsewhere a bearer token is taken for an API key.
ADMIN_TOKEN = os.environ.get("DOWNWATCH_FUZZ_ADMIN_TOKEN")


def _needs_admin(case):
    path = case.operation.path
    return path.startswith("/api/v1/admin/") or (
        path.startswith("/api/v1/services") and case.method.upper() != "GET"
    )


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    """Authorise the admin API and the catalog writes."""
    if ADMIN_TOKEN and _needs_admin(case):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {ADMIN_TOKEN}"}


def _header(response, name):
    for key, value in response.headers.items():
        if key.lower() == name:
            return value[0] if isinstance(value, list) else value
    return None


@schemathesis.check
def problem_json_for_4xx(ctx, response, case):
    """Every 4xx answer is application/problem+json with a matching `status` and a `title`."""
    if not 400 <= response.status_code < 500:
        return None
    content_type = (_header(response, "content-type") or "").split(";")[0].strip()
    if content_type != "application/problem+json":
        raise AssertionError(
            f"{response.status_code} answered with Content-Type {content_type or 'none'!r}, "
            "not application/problem+json"
        )
    try:
        body = json.loads(response.content)
    except ValueError as e:
        raise AssertionError(f"{response.status_code} problem body is not JSON: {e}") from e
    if not isinstance(body, dict):
        raise AssertionError("the problem body is not a JSON object")
    if body.get("status") != response.status_code:
        raise AssertionError(
            f"problem `status` is {body.get('status')!r}, the response is {response.status_code}"
        )
    if not isinstance(body.get("title"), str) or not body["title"]:
        raise AssertionError("the problem has no `title`")
    return None
