"""Real local services for the demo and the tests: Neo4j 5.26 on the JVM and redis-server.

This package starts and stops processes on loopback only; it never talks to anything remote except
Maven Central (through ``mvn``) and Debian's package mirror (through ``apt-get``) when something is
missing (redis-server; Chromium, for the console's browser tests).
"""

from gateway.services._debian import ensure_chromium
from gateway.services._errors import ServiceError
from gateway.services._neo4j import Neo4jConfig, Neo4jServer
from gateway.services._neo4j_artifacts import check_java, resolve_neo4j_artifacts
from gateway.services._ports import free_port, is_listening
from gateway.services._redis import RedisConfig, RedisServer, ensure_redis_binary
from gateway.services.stack import LocalStack, ServiceStatus

__all__ = [
    "LocalStack",
    "Neo4jConfig",
    "Neo4jServer",
    "RedisConfig",
    "RedisServer",
    "ServiceError",
    "ServiceStatus",
    "check_java",
    "ensure_chromium",
    "ensure_redis_binary",
    "free_port",
    "is_listening",
    "resolve_neo4j_artifacts",
]
