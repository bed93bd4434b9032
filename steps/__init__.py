"""One idempotent action class per documented step. No UI imports here."""
