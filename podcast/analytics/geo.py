"""The country of an address, offline: iptocc's RIR delegation data (the only iptocc importer).

Country level only, looked up while the request is recorded; nothing finer is ever derived.
"""

from __future__ import annotations

import iptocc

# Codes RIRs give that are not countries a producer would look for.
_NOT_COUNTRIES = {"EU", "AP", "ZZ"}


def country(address: str) -> str:
    """ISO 3166-1 alpha-2 code of the address's registry country, "" when none is known."""
    try:
        code = iptocc.country_code(address)
    except (ValueError, TypeError):
        return ""
    if not code or len(code) != 2 or code.upper() in _NOT_COUNTRIES:
        return ""
    return code.upper()
