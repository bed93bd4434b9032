"""The reads of `plan`, `status`, `verify` and the steps' inspections, as raw JSON through one ARMPipelineClient.

`ClientFactory` hands out these clients in place of the SDK's (its `RAW_READS` switch): each answers the read
operations the steps call (`virtual_networks.get`, `private_endpoints.get`, `network_interfaces.get/list_all`,
`network_security_groups.get`, the alias visibility check, `private_zones.list/list_by_resource_group/get`,
`virtual_network_links.list/get`, `record_sets.get`, `resource_groups.get`, `subscriptions.list_locations`) by
sending the request the generated operation would send (same method, path, api-version, Accept header, body)
through `wizard.core.arm_objects.read_pipeline`, and returns `ArmObject`s. Every other attribute (the writes with
their LRO pollers, any read not listed) is the SDK client's, built on first use; so a plan imports no
azure.mgmt.network, and apply and destroy keep the SDK's LRO and retry semantics. A status the operation does not
expect raises what it raises (`wizard.core.raw_arm.raise_for`: ResourceNotFoundError, HttpResponseError with
`.status_code` and `.error.code/.message`).

api-versions are the SDK's defaults (operations/_operations.py of azure-mgmt-network 33.1.0, azure-mgmt-privatedns
2.0.0, azure-mgmt-resource 26.0.0 and azure-mgmt-resource-subscriptions 1.0.0; tests/test_raw_reads.py checks them).
The visibility check is the POST LRO of PrivateLinkServices_CheckPrivateLinkServiceVisibility (network
privateLinkService.json, x-ms-long-running-operation): polled as the SDK polls it, with azure.mgmt.core's ARMPolling
in an azure.core LROPoller.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

from wizard.core.arm_objects import ArmObject

NETWORK_API = "2026-03-01"
PRIVATEDNS_API = "2024-06-01"
RESOURCES_API = "2025-04-01"
SUBSCRIPTIONS_API = "2022-12-01"


def _seg(value: str) -> str:
    """A path parameter as the SDK's serializer puts it in the URL (`quote(..., safe='')`)."""
    return quote(str(value), safe="")


class ArmReader:
    """Sends reads through one ARMPipelineClient (shared by every subscription: the path names it)."""

    def __init__(self, pipeline: Any, base_url: str, polling_interval: float) -> None:
        self.pipeline = pipeline
        self.base_url = base_url
        self.polling_interval = polling_interval

    @staticmethod
    def _request(method: str, path: str, api_version: str, body: dict[str, Any] | None = None) -> Any:
        from azure.core.rest import HttpRequest

        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        return HttpRequest(method, path, params={"api-version": api_version}, headers=headers, json=body)

    def get(self, path: str, api_version: str) -> ArmObject:
        """GET one resource; ResourceNotFoundError / HttpResponseError as the SDK's `get` raises them."""
        from wizard.core.raw_arm import run

        response = run(self.pipeline, self.base_url, self._request("GET", path, api_version)).http_response
        return ArmObject(response.json())

    def items(self, path: str, api_version: str) -> Iterator[ArmObject]:
        """Every item of an ARM list, page after page (lazily, like the SDK's ItemPaged: errors come when iterated)."""
        from wizard.core.raw_arm import pages_through

        for page in pages_through(self.pipeline, self.base_url, self._request("GET", path, api_version)):
            for body in page:
                yield ArmObject(body)

    def post_lro(self, path: str, api_version: str, body: dict[str, Any]) -> Any:
        """POST a long-running action and return its LROPoller (result: an ArmObject, or None for no body), as the
        generated `begin_*` does: the initial answer must be 200 or 202, then ARMPolling follows the operation."""
        from azure.core.polling import LROPoller
        from azure.mgmt.core.polling.arm_polling import ARMPolling

        from wizard.core.raw_arm import run

        initial = run(self.pipeline, self.base_url, self._request("POST", path, api_version, body), (200, 202))

        def output(pipeline_response: Any) -> ArmObject | None:
            text = pipeline_response.http_response.text()
            return ArmObject(pipeline_response.http_response.json()) if text else None

        polling = ARMPolling(self.polling_interval, path_format_arguments={"endpoint": self.base_url})
        return LROPoller(self.pipeline, initial, output, polling)

    def close(self) -> None:
        self.pipeline.close()


class _Group:
    """One operation group: the read operations below, every other attribute from the SDK client's group."""

    group = ""

    def __init__(self, reader: ArmReader, subscription_id: str, sdk: Callable[[], Any]) -> None:
        self._reader = reader
        self._sub = subscription_id
        self._sdk = sdk

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(getattr(self._sdk(), self.group), name)

    def _rg(self, resource_group: str) -> str:
        return f"/subscriptions/{_seg(self._sub)}/resourceGroups/{_seg(resource_group)}"

    def _network(self, resource_group: str, kind: str, name: str) -> str:
        return f"{self._rg(resource_group)}/providers/Microsoft.Network/{kind}/{_seg(name)}"


class _NetworkGroup(_Group):
    kind = ""

    def get(self, resource_group_name: str, name: str, **kwargs: Any) -> Any:
        if kwargs:   # e.g. expand=...: the SDK's own operation
            return getattr(self._sdk(), self.group).get(resource_group_name, name, **kwargs)
        return self._reader.get(self._network(resource_group_name, self.kind, name), NETWORK_API)


class VirtualNetworkReads(_NetworkGroup):
    group, kind = "virtual_networks", "virtualNetworks"


class PrivateEndpointReads(_NetworkGroup):
    group, kind = "private_endpoints", "privateEndpoints"


class NetworkSecurityGroupReads(_NetworkGroup):
    group, kind = "network_security_groups", "networkSecurityGroups"


class NetworkInterfaceReads(_NetworkGroup):
    group, kind = "network_interfaces", "networkInterfaces"

    def list_all(self) -> Iterator[ArmObject]:
        return self._reader.items(f"/subscriptions/{_seg(self._sub)}/providers/Microsoft.Network/networkInterfaces",
                                  NETWORK_API)


class PrivateLinkServiceReads(_Group):
    group = "private_link_services"

    def begin_check_private_link_service_visibility(self, location: str, parameters: dict[str, Any]) -> Any:
        path = (f"/subscriptions/{_seg(self._sub)}/providers/Microsoft.Network/locations/{_seg(location)}"
                "/checkPrivateLinkServiceVisibility")
        return self._reader.post_lro(path, NETWORK_API, parameters)

    def begin_check_private_link_service_visibility_by_resource_group(
            self, location: str, resource_group_name: str, parameters: dict[str, Any]) -> Any:
        path = (f"{self._rg(resource_group_name)}/providers/Microsoft.Network/locations/{_seg(location)}"
                "/checkPrivateLinkServiceVisibility")
        return self._reader.post_lro(path, NETWORK_API, parameters)


class PrivateZoneReads(_Group):
    group = "private_zones"

    def list(self) -> Iterator[ArmObject]:
        return self._reader.items(f"/subscriptions/{_seg(self._sub)}/providers/Microsoft.Network/privateDnsZones",
                                  PRIVATEDNS_API)

    def list_by_resource_group(self, resource_group_name: str) -> Iterator[ArmObject]:
        return self._reader.items(f"{self._rg(resource_group_name)}/providers/Microsoft.Network/privateDnsZones",
                                  PRIVATEDNS_API)

    def get(self, resource_group_name: str, private_zone_name: str) -> ArmObject:
        return self._reader.get(self._network(resource_group_name, "privateDnsZones", private_zone_name),
                                PRIVATEDNS_API)


class VirtualNetworkLinkReads(_Group):
    group = "virtual_network_links"

    def list(self, resource_group_name: str, private_zone_name: str) -> Iterator[ArmObject]:
        zone = self._network(resource_group_name, "privateDnsZones", private_zone_name)
        return self._reader.items(f"{zone}/virtualNetworkLinks", PRIVATEDNS_API)

    def get(self, resource_group_name: str, private_zone_name: str, virtual_network_link_name: str) -> ArmObject:
        zone = self._network(resource_group_name, "privateDnsZones", private_zone_name)
        return self._reader.get(f"{zone}/virtualNetworkLinks/{_seg(virtual_network_link_name)}", PRIVATEDNS_API)


class RecordSetReads(_Group):
    group = "record_sets"

    def get(self, resource_group_name: str, private_zone_name: str, record_type: str,
            relative_record_set_name: str) -> ArmObject:
        zone = self._network(resource_group_name, "privateDnsZones", private_zone_name)
        return self._reader.get(f"{zone}/{_seg(record_type)}/{_seg(relative_record_set_name)}", PRIVATEDNS_API)


class ResourceGroupReads(_Group):
    group = "resource_groups"

    def get(self, resource_group_name: str) -> ArmObject:
        # azure-mgmt-resource spells this path "resourcegroups" (ResourceGroups_Get in resources.json).
        return self._reader.get(f"/subscriptions/{_seg(self._sub)}/resourcegroups/{_seg(resource_group_name)}",
                                RESOURCES_API)


class SubscriptionReads(_Group):
    group = "subscriptions"

    def list_locations(self, subscription_id: str) -> Iterator[ArmObject]:
        return self._reader.items(f"/subscriptions/{_seg(subscription_id)}/locations", SUBSCRIPTIONS_API)


class _Client:
    """An SDK client's stand-in: the read groups below; everything else (writes, other reads, `_client`) from the SDK
    client, built on first use."""

    groups: dict[str, type[_Group]] = {}

    def __init__(self, reader: ArmReader, subscription_id: str, sdk: Callable[[], Any]) -> None:
        self._sdk = sdk
        for attr, cls in self.groups.items():
            setattr(self, attr, cls(reader, subscription_id, sdk))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._sdk(), name)

    def close(self) -> None:
        """Nothing of its own to close: the reader and the SDK client are the factory's, which closes them."""


class NetworkReads(_Client):
    groups = {"virtual_networks": VirtualNetworkReads, "private_endpoints": PrivateEndpointReads,
              "network_interfaces": NetworkInterfaceReads, "network_security_groups": NetworkSecurityGroupReads,
              "private_link_services": PrivateLinkServiceReads}
    virtual_networks: VirtualNetworkReads
    private_endpoints: PrivateEndpointReads
    network_interfaces: NetworkInterfaceReads
    network_security_groups: NetworkSecurityGroupReads
    private_link_services: PrivateLinkServiceReads


class PrivateDnsReads(_Client):
    groups = {"private_zones": PrivateZoneReads, "virtual_network_links": VirtualNetworkLinkReads,
              "record_sets": RecordSetReads}
    private_zones: PrivateZoneReads
    virtual_network_links: VirtualNetworkLinkReads
    record_sets: RecordSetReads


class ResourceReads(_Client):
    groups = {"resource_groups": ResourceGroupReads}
    resource_groups: ResourceGroupReads


class SubscriptionsReads(_Client):
    groups = {"subscriptions": SubscriptionReads}
    subscriptions: SubscriptionReads
