"""Fetch the Neo4j Community server jars from Maven Central into a cache folder, once.

We generate a tiny pom naming ``org.neo4j.app:neo4j-server``, ``org.neo4j:neo4j`` and
``org.neo4j:neo4j-bolt`` and let ``mvn dependency:copy-dependencies`` resolve the whole runtime
class path. The folder is complete only once a marker file is written, so an interrupted download
is retried rather than half-used.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from gateway.services._errors import ServiceError

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>parcours.local</groupId>
  <artifactId>neo4j-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.neo4j.app</groupId><artifactId>neo4j-server</artifactId>
      <version>{version}</version></dependency>
    <dependency><groupId>org.neo4j</groupId><artifactId>neo4j</artifactId>
      <version>{version}</version></dependency>
    <dependency><groupId>org.neo4j</groupId><artifactId>neo4j-bolt</artifactId>
      <version>{version}</version></dependency>
  </dependencies>
</project>
"""
_MAVEN_TIMEOUT_S = 900
_COMPLETE_MARKER = ".complete"


def check_java() -> str:
    """Path of a Java 17+ ``java``; a :class:`ServiceError` saying how to get one otherwise."""
    java = shutil.which("java")
    if java is None:
        raise ServiceError(
            "Neo4j needs Java 17 or newer and no `java` is on PATH",
            hint="install a JDK 17+ (Debian: apt-get install openjdk-17-jre-headless)",
        )
    out = subprocess.run(
        [java, "-version"], capture_output=True, text=True, timeout=30, check=False
    )
    match = re.search(r'version "(\d+)', out.stderr + out.stdout)
    major = int(match.group(1)) if match else 0
    if major < 17:
        raise ServiceError(
            f"Neo4j 5 needs Java 17 or newer; `{java}` reports {major or 'an unknown version'}",
            hint="install a JDK 17+ and put it first on PATH (or set JAVA_HOME/bin first)",
        )
    return java


def neo4j_lib_dir(cache_dir: Path, version: str) -> Path:
    """Where the jars of Neo4j ``version`` live (whether or not they are there yet)."""
    return cache_dir / f"neo4j-{version}" / "lib"


def resolve_neo4j_artifacts(cache_dir: Path, version: str) -> Path:
    """Make sure the Neo4j ``version`` class path is in the cache; return its ``lib`` folder."""
    lib = neo4j_lib_dir(cache_dir, version)
    if (lib / _COMPLETE_MARKER).exists():
        return lib
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ServiceError(
            "Maven (`mvn`) is needed once to fetch the Neo4j server from Maven Central",
            hint="install Maven (Debian: apt-get install maven), then run the command again",
        )
    work = lib.parent
    work.mkdir(parents=True, exist_ok=True)
    (work / "pom.xml").write_text(_POM.format(version=version))
    try:
        done = subprocess.run(
            [
                mvn,
                "-B",
                "-q",
                "-f",
                str(work / "pom.xml"),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={lib}",
                "-DincludeScope=runtime",
            ],
            capture_output=True,
            text=True,
            timeout=_MAVEN_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ServiceError(
            f"Fetching Neo4j {version} from Maven Central took over {_MAVEN_TIMEOUT_S} s",
            hint="check that Maven Central is reachable (proxy settings in ~/.m2/settings.xml)",
        ) from exc
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip().splitlines()
        raise ServiceError(
            f"Maven could not resolve Neo4j {version} (exit {done.returncode})",
            hint="is Maven Central reachable? Try `mvn -B dependency:get "
            f"-Dartifact=org.neo4j:neo4j:{version}` to see the network error",
            detail="\n".join(output[-20:]),
        )
    if not any(lib.glob("neo4j-server-*.jar")):
        raise ServiceError(f"Maven finished but no neo4j-server jar is in {lib}")
    (lib / _COMPLETE_MARKER).write_text(version)
    return lib
