"""The ARNs the config accepts (ACM certificate, Secrets Manager secret) and the region inside one.

Its own module so that the field validators (infra/config.py) and the cross-key checks
(infra/config_rules.py) both import it and neither imports the other at run time.
"""

from __future__ import annotations

import re
from typing import Final

_ARN: Final = r"arn:aws[a-z-]*:{service}:(?P<region>[a-z0-9-]+):\d{{12}}:{resource}"
CERTIFICATE_ARN: Final = re.compile(_ARN.format(service="acm", resource=r"certificate/.+"))
SECRET_ARN: Final = re.compile(_ARN.format(service="secretsmanager", resource=r"secret:.+"))


def arn_region(arn: str) -> str:
    """The region field of an ACM or Secrets Manager ARN (already validated)."""
    match = CERTIFICATE_ARN.fullmatch(arn) or SECRET_ARN.fullmatch(arn)
    if match is None:
        raise ValueError(f"not an ARN this config accepts: {arn}")
    return match.group("region")
