"""The OpenAPI document is the API's contract: every operation named, errors and examples shown."""

from __future__ import annotations

import httpx

Client = httpx.AsyncClient
METHODS = {"get", "post", "put", "patch", "delete"}


async def test_every_operation_is_documented(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]
    assert len(operations) >= 9
    for path, method, operation in operations:
        assert operation.get("operationId"), (path, method)
        assert operation.get("summary"), (path, method)
    ids = [operation["operationId"] for _, _, operation in operations]
    assert len(ids) == len(set(ids))
    assert "/metrics" not in document["paths"]


async def test_errors_and_examples_are_in_the_document(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    wechat = document["paths"]["/api/v1/auth/wechat"]["post"]
    for status in ("400", "403", "429", "503"):
        response = wechat["responses"][status]
        assert "application/problem+json" in response["content"], status
        assert response["content"]["application/problem+json"].get("examples"), status
    body = wechat["requestBody"]["content"]["application/json"]["schema"]
    schema = document["components"]["schemas"][body["$ref"].split("/")[-1]]
    assert schema["properties"]["code"]["examples"]
    me = document["paths"]["/api/v1/me"]["get"]
    assert me["security"] == [{"bearer": []}]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


async def test_the_schema_page_opens(client: Client) -> None:
    page = await client.get("/schema")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]


async def test_every_json_request_body_shows_an_example(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    schemas = document["components"]["schemas"]

    def shows_example(schema: dict) -> bool:
        for option in [schema, *schema.get("oneOf", []), *schema.get("anyOf", [])]:
            if "$ref" in option:
                target = schemas[option["$ref"].split("/")[-1]]
                if "examples" in target or any("examples" in p for p in target.get("properties", {}).values()):
                    return True
        return False

    missing = [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
        and "application/json" in operation.get("requestBody", {}).get("content", {})
        and not shows_example(operation["requestBody"]["content"]["application/json"]["schema"])
    ]
    assert not missing, missing
