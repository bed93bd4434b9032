"""`[aks] cluster` for the config-file commands: the VNets come from the agents' AKS cluster (issue 13).

`derive_from_cluster` reads the cluster once, before the engine reads anything: with `[endpoint] vnet` left out the
cluster's first VNet becomes it and the others join `[dns] linked_vnets` (every VNet of its node pools is linked);
with `[endpoint] vnet` given, it must be one of the cluster's VNets, or the command stops with both names before
anything is written. The sentence saying where the VNet came from is returned for `plan` and `status` to show.
"""

from __future__ import annotations

from wizard.core.config import ConfigError, SetupConfig
from wizard.core.ids import same_id, vnet_id, vnet_name_of
from wizard.core.settings import AzureSettings


def derive_from_cluster(config: SetupConfig, settings: AzureSettings) -> str | None:
    """Fill `config.vnet` / `linked_vnets` from `[aks] cluster`; the sentence saying where they came from (None
    without a cluster). Raises ConfigError (one sentence) when the cluster cannot be read or contradicts the VNet."""
    if not config.aks_cluster or not config.subscription_id or not config.resource_group:
        return None
    from steps.aks import cluster_ref, cluster_vnets, read_cluster
    from wizard.core.azure import ClientFactory
    from wizard.core.errors import explain

    sub, rg, name = cluster_ref(config.aks_cluster, config.subscription_id, config.resource_group)
    factory = ClientFactory(settings)
    try:
        cluster = read_cluster(factory, sub, rg, name)
        derived = cluster_vnets(factory, cluster)
    except Exception as exc:
        raise ConfigError(f"[aks] cluster {name}: {explain(exc, subscription_id=sub).sentence}") from exc
    finally:
        factory.close()
    if derived.problem:
        if config.vnet:
            return None
        raise ConfigError(derived.problem)
    vnets = derived.vnet_ids
    if config.vnet:
        given = config.vnet if config.vnet.startswith("/") else vnet_id(config.subscription_id, config.resource_group,
                                                                        config.vnet)
        if not any(same_id(given, v) for v in vnets):
            raise ConfigError(
                f"Step 1: [endpoint] vnet '{vnet_name_of(given)}' is not a VNet of AKS cluster {cluster.name}, whose "
                f"agents run in {', '.join(vnet_name_of(v) for v in vnets)}: set vnet to one of those (or remove it "
                "to use the cluster's), or change [aks] cluster.")
        source = f"[endpoint] vnet {vnet_name_of(given)} is one of AKS cluster {cluster.name}'s VNets"
        main = given
    else:
        main = vnets[0]
        config.vnet = main
        source = f"[endpoint] vnet {vnet_name_of(main)}: {derived.source}"
    for extra in vnets:
        if not same_id(extra, main) and not any(same_id(extra, v) for v in config.linked_vnets):
            config.linked_vnets.append(extra)
    return source
