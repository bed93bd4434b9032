"""Names that mean the same thing everywhere: the DNS zone, the connection name, the program, environment
variables. One home each, so a front end, a step and an export never spell them differently."""

from __future__ import annotations

PROG = "astro-privatelink"

# The private DNS zone Astro's Remote Execution API names live in (the documented step 3).
ASTRO_DNS_ZONE = "external.astronomer.run"
# The name of the endpoint's manual Private Link Service connection (what Astronomer support sees).
CONNECTION_NAME = "astro-privatelink-connection"
DEFAULT_ENDPOINT_NAME = "astro-privatelink"
NETWORK_NAMESPACE = "Microsoft.Network"
# Time to live of the A record the tool writes, in seconds.
RECORD_TTL = 300

# Environment variables (README lists them).
ENV_ARM_ENDPOINT = "ASTRO_PL_ARM_ENDPOINT"
ENV_ACCESS_TOKEN = "ASTRO_PL_ACCESS_TOKEN"
ENV_CA_FILE = "ASTRO_PL_CA_FILE"
ENV_STATE_DIR = "ASTRO_PL_STATE_DIR"
ENV_POLLING_INTERVAL = "ASTRO_PL_POLLING_INTERVAL"
ENV_DNS_SERVER = "ASTRO_PL_DNS_SERVER"
ENV_CLOUD = "ASTRO_PL_CLOUD"
ENV_TENANT_ID = "ASTRO_PL_TENANT_ID"
ENV_PLAIN = "ASTRO_PL_PLAIN"
ENV_BENCH_FIRST_PAINT = "ASTRO_PL_BENCH_FIRST_PAINT"
# The Astro Platform API (issue 14): its base URL (for the sandbox and Astronomer's other environments) and the
# API token, under the name the Astro CLI reads it from.
ENV_ASTRO_API = "ASTRO_PL_ASTRO_API"
ENV_ASTRO_API_TOKEN = "ASTRO_API_TOKEN"
DEFAULT_ASTRO_API = "https://api.astronomer.io/v1"
