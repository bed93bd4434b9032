"""ARM list pages read as plain JSON through an SDK client's own azure-core pipeline, for big listings.

Turning 5,000 VNets into SDK models costs seconds of CPU (deserialization, then lazy property reads), while the
pickers show three fields of each. Here the request is the one the SDK operation builds (its request builder:
same path, api-version and headers), sent through the client's `_pipeline` exactly as the generated
operation sends it, so authentication, retries, the per-call policies (the request log, the transcript) and the
CA settings all apply; each page is parsed with `json` and the caller keeps only what it shows. `nextLink` is
followed as the SDK's pager follows it (a GET of the link as given). A status other than 200 raises what the
operation raises (`map_error`, then `HttpResponseError` with ARM's error format), so `explain(exc)` and the
403 fallback of `wizard.core.listings` see the same exception either way. `run` and `pages_through` do the same
through any azure-core pipeline client: `wizard.core.arm_reads` sends the steps' reads with them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


# The generated operations' error map (e.g. VirtualNetworksOperations.get and .list_all in azure-mgmt-network 33.1.0,
# RecordSetsOperations.get in azure-mgmt-privatedns 2.0.0): map_error raises these for their status codes.
def _error_map() -> dict[int, Any]:
    from azure.core.exceptions import (
        ClientAuthenticationError,
        ResourceExistsError,
        ResourceNotFoundError,
        ResourceNotModifiedError,
    )

    return {401: ClientAuthenticationError, 404: ResourceNotFoundError, 409: ResourceExistsError,
            304: ResourceNotModifiedError}


def raise_for(response: Any, expected: tuple[int, ...] = (200,)) -> None:
    """Raise what the generated operation raises when the status is not one it expects: `map_error` (401, 404, 409,
    304), else `HttpResponseError` with ARM's error format (so `.status_code` and `.error.code/.message` are set)."""
    if response.status_code in expected:
        return
    from azure.core.exceptions import HttpResponseError, map_error
    from azure.mgmt.core.exceptions import ARMErrorFormat

    map_error(status_code=response.status_code, response=response, error_map=_error_map())
    raise HttpResponseError(response=response, error_format=ARMErrorFormat)


def run(pipeline_client: Any, base_url: str, request: Any, expected: tuple[int, ...] = (200,)) -> Any:
    """Send `request` (url relative to the endpoint, as the SDK's request builders make it) through the client's
    pipeline as a generated operation does; the pipeline response, after `raise_for`."""
    request.url = pipeline_client.format_url(request.url, endpoint=base_url)
    pipeline_response = pipeline_client._pipeline.run(request, stream=False)
    raise_for(pipeline_response.http_response, expected)
    return pipeline_response


def pages_through(pipeline_client: Any, base_url: str, request: Any) -> Iterator[list[dict[str, Any]]]:
    """The `value` list of every page of an ARM list, starting at `request`, sent through `pipeline_client`."""
    from azure.core.rest import HttpRequest

    next_request = request
    while next_request is not None:
        page = run(pipeline_client, base_url, next_request).http_response.json()
        yield list(page.get("value") or [])
        next_link = page.get("nextLink")
        next_request = HttpRequest("GET", next_link) if next_link else None  # as the SDK pager asks for the next


def iter_pages(client: Any, request: Any) -> Iterator[list[dict[str, Any]]]:
    """The `value` list of every page of an ARM list, starting at `request` (an azure.core.rest.HttpRequest whose
    url is relative to the client's endpoint, as the SDK's request builders make them), through an SDK client."""
    return pages_through(client._client, client._config.base_url, request)
