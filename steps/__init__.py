"""One idempotent action class per documented step. No UI imports here (a test checks it)."""

from __future__ import annotations

from typing import Any

from steps.base import Step


def all_steps() -> list[Step[Any, Any]]:
    """The steps in the documented order."""
    from steps.a_record import CreateARecord
    from steps.approval import WaitForApproval
    from steps.dns_zone import CreateDnsZone
    from steps.inputs import CheckInputs
    from steps.private_endpoint import CreatePrivateEndpoint
    from steps.vnet_link import LinkVnets

    return [CheckInputs(), CreatePrivateEndpoint(), CreateDnsZone(), LinkVnets(), CreateARecord(), WaitForApproval()]
