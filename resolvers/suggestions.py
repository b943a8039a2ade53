"""``HideSuggestions``: no "Did you mean ...?" in error messages (production).

graphql-core suggests close names for unknown fields, arguments, types, input fields and enum
values, which lets anyone map a schema whose introspection is off. Strawberry's
``disable_field_suggestions`` covers unknown fields only; this covers every message. It rewrites
messages only, never codes or locations.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def without_suggestions(message: str) -> str:
    """``message`` with graphql-core's suggestions removed.

    Example:
        >>> without_suggestions("Unknown type 'Custmer'. Did you mean 'Customer'?")
        "Unknown type 'Custmer'."
    """
    return _SUGGESTION.sub("", message)


class HideSuggestions(SchemaExtension):
    """Strip name suggestions from every error of the operation.

    Example:
        >>> extensions = [HideSuggestions]
    """

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or []:
            error.message = without_suggestions(error.message)
