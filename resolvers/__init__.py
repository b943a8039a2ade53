"""The GraphQL schema of Parcours: types, queries and DataLoaders; it orchestrates, nothing more.

Resolvers hold no Cypher and no HTTP: they validate arguments, call ``graph`` (and later
``channels``) through the request's loaders, and turn domain records into GraphQL types. This
package never imports ``aiohttp.web`` nor the gateway.
"""

from resolvers.context import Context
from resolvers.schema import SchemaLimits, build_schema

__all__ = ["Context", "SchemaLimits", "build_schema"]
