"""OpenAPI post-processing: document the error answers every endpoint can give."""

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "What is wrong, in words."}},
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "type": "object",
    "description": "One list of messages per invalid field (`non_field_errors` for the whole body).",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
_WRITE_METHODS = {"post", "put", "patch"}
_DESCRIPTIONS = {
    "400": "Invalid input; the body names each invalid field.",
    "401": "Not logged in, or the token is invalid or expired.",
    "403": "Logged in but not allowed to do this.",
    "404": "Not found (or not yours).",
    "429": "Too many requests; retry after the Retry-After header's seconds.",
}


def _reference(name: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def add_error_responses(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("ValidationError", VALIDATION_ERROR)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            authenticates = any(entry for entry in operation.get("security") or [])
            wanted = ["429"]
            if method in _WRITE_METHODS and operation.get("requestBody"):
                wanted.append("400")
            if authenticates:
                wanted.append("401")
            if authenticates and method not in ("get", "head"):
                wanted.append("403")
            if "{" in path:
                wanted.append("404")
            for code in wanted:
                if code not in responses:
                    body = _reference("ValidationError" if code == "400" else "Error")
                    responses[code] = {"description": _DESCRIPTIONS[code], "content": body}
    return result
