"""ARM list pages read as plain JSON through an SDK client's own azure-core pipeline, for big listings.

Turning 5,000 VNets into SDK models costs seconds of CPU (deserialization, then lazy property reads), while the
pickers show three fields of each. Here the request is the one the SDK operation builds (its request builder:
same path, api-version and headers), sent through the client's `_pipeline` exactly as the generated
operation sends it, so authentication, retries, the per-call policies (the request log, the transcript) and the
CA settings all apply; each page is parsed with `json` and the caller keeps only what it shows. `nextLink` is
followed as the SDK's pager follows it (a GET of the link as given). A status other than 200 raises what the
operation raises (`map_error`, then `HttpResponseError` with ARM's error format), so `explain(exc)` and the
403 fallback of `wizard.core.listings` see the same exception either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def iter_pages(client: Any, request: Any) -> Iterator[list[dict[str, Any]]]:
    """The `value` list of every page of an ARM list, starting at `request` (an azure.core.rest.HttpRequest whose
    url is relative to the client's endpoint, as the SDK's request builders make them)."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceExistsError,
        ResourceNotFoundError,
        ResourceNotModifiedError,
        map_error,
    )
    from azure.core.rest import HttpRequest
    from azure.mgmt.core.exceptions import ARMErrorFormat

    # The generated list operations' error map (e.g. VirtualNetworksOperations.list_all in azure-mgmt-network).
    error_map = {401: ClientAuthenticationError, 404: ResourceNotFoundError, 409: ResourceExistsError,
                 304: ResourceNotModifiedError}
    endpoint = {"endpoint": client._config.base_url}
    pipeline_client = client._client
    next_request = request
    while next_request is not None:
        next_request.url = pipeline_client.format_url(next_request.url, **endpoint)
        response = pipeline_client._pipeline.run(next_request, stream=False).http_response
        if response.status_code != 200:
            map_error(status_code=response.status_code, response=response, error_map=error_map)
            raise HttpResponseError(response=response, error_format=ARMErrorFormat)
        page = response.json()
        yield list(page.get("value") or [])
        next_link = page.get("nextLink")
        next_request = HttpRequest("GET", next_link) if next_link else None  # as the SDK pager asks for the next
