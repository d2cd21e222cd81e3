"""OpenAPI post-processing: document the error answers every endpoint can give, as they are sent.

Every error body is JSON (core.errors): `{"detail": "..."}`, or for invalid input one entry per
invalid field, nested as the input is (`{"files": {"0": {"size": ["..."]}}}`). Views declare the
errors that are theirs alone (a 409, a 412) with a description; this hook gives every 4xx answer
its body schema, and adds the ones the stack gives to any operation of a kind (a 400 for a body or
a query, a 413 and a 415 for a body, 401/403 with authentication, 404 with a path id, 429).
tests/test_schema_fuzz.py runs schemathesis with every check, so an answer the schema does not
describe fails the suite.
"""

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "What is wrong, in words."}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "description": "A message, a list of messages, or the errors of a nested object or list (keyed by field or index).",
    "anyOf": [
        {"type": "string"},
        {"type": "array", "items": {"$ref": "#/components/schemas/FieldErrors"}},
        {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/FieldErrors"}},
    ],
}
VALIDATION_ERROR = {
    "type": "object",
    "description": "Invalid input: `detail` for a body that could not be read, otherwise one entry per invalid field "
    "(`non_field_errors` for the whole body), each a list of messages or the errors of a nested object.",
    "additionalProperties": {"$ref": "#/components/schemas/FieldErrors"},
}
_BODY_METHODS = {"post", "put", "patch"}
_DESCRIPTIONS = {
    "400": "Invalid input; the body names each invalid field, or says why the body could not be read.",
    "401": "Not logged in, or the token is invalid or expired.",
    "403": "Logged in but not allowed to do this.",
    "404": "Not found (or not yours).",
    "413": "The request body is over the API's limit (DATA_UPLOAD_MAX_MEMORY_SIZE).",
    "415": "The body's media type is not one this operation reads.",
    "429": "Too many requests; retry after the Retry-After header's seconds.",
}


# DRF's CharField and Django's form fields (behind django-filter) refuse text with a NUL character.
NO_NUL = "^[^\\u0000]*$"
# A required CharField trims whitespace (what str.strip() removes) before refusing a blank value.
_SPACE = "\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
NOT_BLANK = f"^[^\\u0000]*[^\\u0000{_SPACE}][^\\u0000]*$"
# Free-text query parameters that are not read by a field that refuses NUL.
_UNCHECKED_QUERY = {"search", "ordering"}


def _plain_text(schema: dict) -> bool:
    return schema.get("type") == "string" and not ({"format", "enum", "pattern"} & schema.keys())


def _declare_text_rules(result) -> None:
    """Say what the server refuses in plain text, else schema-valid input would be rejected."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):  # COMPONENT_SPLIT_REQUEST: the input side of a serializer
            for field in component.get("properties", {}).values():
                if _plain_text(field):
                    # Body text fields trim whitespace (the API's only untrimmed ones may be blank).
                    field["pattern"] = NOT_BLANK if field.get("minLength", 0) >= 1 else NO_NUL
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters") or []:
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query" and parameter["name"] not in _UNCHECKED_QUERY and _plain_text(schema):
                    schema["pattern"] = NO_NUL


def _reference(name: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def _wanted_codes(path: str, method: str, operation: dict) -> list[str]:
    authenticates = any(entry for entry in operation.get("security") or [])
    takes_body = method in _BODY_METHODS and bool(operation.get("requestBody"))
    takes_query = any(parameter.get("in") == "query" for parameter in operation.get("parameters") or [])
    wanted = ["429"]
    if takes_body or takes_query:
        wanted.append("400")
    if takes_body:
        wanted += ["413", "415"]
    if authenticates:
        wanted.append("401")
    if authenticates and method not in ("get", "head"):
        wanted.append("403")
    if "{" in path:
        wanted.append("404")
    return wanted


def add_error_responses(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("FieldErrors", FIELD_ERRORS)
    schemas.setdefault("ValidationError", VALIDATION_ERROR)
    _declare_text_rules(result)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code in _wanted_codes(path, method, operation):
                responses.setdefault(code, {"description": _DESCRIPTIONS[code]})
            for code, response in responses.items():
                # An error a view declares with only a description is still sent as JSON with a `detail`.
                if code.isdigit() and int(code) >= 400 and not response.get("content"):
                    response["content"] = _reference("ValidationError" if code == "400" else "Error")
    return result
