"""Kubernetes names this tool accepts from a person: a namespace (`[aks] namespace`, `--aks-namespace`, the Verify
screen's question).

A namespace name is an RFC 1123 label: kubernetes/apimachinery `pkg/api/validation` (ValidateNamespaceName =
NameIsDNSLabel) checks it with `pkg/util/validation/validation.go` IsDNS1123Label: at most 63 characters
(DNS1123LabelMaxLength), matching `[a-z0-9]([-a-z0-9]*[a-z0-9])?` ("a lowercase RFC 1123 label must consist of lower
case alphanumeric characters or '-', and must start and end with an alphanumeric character").
"""

from __future__ import annotations

import re

NAMESPACE_MAX = 63
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def namespace_problems(value: str) -> list[str]:
    """Why `value` cannot name a Kubernetes namespace (one sentence each, with the fix); [] when it can."""
    shown = value if len(value) <= 80 else value[:77] + "..."
    if len(value) > NAMESPACE_MAX:
        return [f"'{shown}' is {len(value)} characters long; a Kubernetes namespace has at most {NAMESPACE_MAX}: give "
                "the name of the namespace your agents run in (kubectl get namespaces)."]
    if not _LABEL.fullmatch(value):
        return [f"'{shown}' is not a Kubernetes namespace name (lower-case letters, digits and '-', starting and "
                "ending with a letter or digit): give the name of the namespace your agents run in (kubectl get "
                "namespaces)."]
    return []
