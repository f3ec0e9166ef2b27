"""``GET /asyncapi.json``: the AsyncAPI 3.0 description of topichub's streams."""
