"""Write the demo dataset as CSV files for Neo4j's import tool, in worker processes.

Customers are cut into parts of consecutive indexes; a worker process generates each part (the
very rows the UNWIND path loads: every row depends only on ``(seed, index)``) and writes one file
per label or type. Headers are files of their own, so the import tool reads a header and its parts
as one stream. An identity two customers share is written once: a part dedupes its own, and this
process dedupes across parts as they arrive. This module never talks to Neo4j.
"""

from __future__ import annotations

import csv
import multiprocessing
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from graph.seed.csv_files import (
    CUSTOMER_FILES,
    IDENTITIES,
    REFERENCE_FILES,
    CsvFile,
    CsvRow,
    Entity,
)
from graph.seed.generator import CustomerBatch, ReferenceData, reference_data
from graph.seed.loader import ProgressCallback
from graph.seed.parallel import generate_batch


@dataclass(frozen=True)
class ImportSource:
    """One ``--nodes`` or ``--relationships`` group of the import tool: header file first."""

    name: str
    entity: Entity
    label: str
    files: tuple[Path, ...]


@dataclass
class CsvDataset:
    """What :func:`write_csv_dataset` wrote: the import groups and the rows per file name."""

    folder: Path
    sources: list[ImportSource]
    rows: Counter[str] = field(default_factory=Counter)


def _write(path: Path, rows: Iterable[CsvRow]) -> int:
    materialised = list(rows)
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out, lineterminator="\n").writerows(materialised)
    return len(materialised)


def write_part(folder: Path, seed: int, start: int, stop: int) -> dict[str, int]:
    """Customers ``start..stop-1`` as one file per label and type; rows written per file name."""
    batch = generate_batch(seed, start, stop)
    return {
        spec.name: _write(folder / f"{spec.name}-{start:09d}.csv", spec.rows(batch))
        for spec in CUSTOMER_FILES
    }


class _IdentityMerger:
    """Appends each part's identity nodes to one file, skipping those already written."""

    def __init__(self, path: Path) -> None:
        self.path, self.seen, self.rows = path, set[bytes](), 0
        path.write_bytes(b"")

    def absorb(self, part: Path) -> None:
        with part.open("rb") as lines, self.path.open("ab") as out:
            for line in lines:
                if line not in self.seen:
                    self.seen.add(line)
                    out.write(line)
                    self.rows += 1
        part.unlink()


def write_csv_dataset(
    folder: Path,
    customers: int,
    seed: int,
    *,
    workers: int,
    part_size: int = 10_000,
    progress: ProgressCallback | None = None,
) -> CsvDataset:
    """Write ``customers`` customers of ``seed`` (and the reference data) under ``folder``."""
    headers = folder / "headers"
    headers.mkdir(parents=True, exist_ok=True)
    specs: tuple[CsvFile[ReferenceData] | CsvFile[CustomerBatch], ...] = (
        *REFERENCE_FILES,
        *CUSTOMER_FILES,
    )
    for spec in specs:
        _write(headers / f"{spec.name}.csv", [spec.header])
    dataset = CsvDataset(folder, [])
    reference = reference_data(seed)
    for ref in REFERENCE_FILES:
        dataset.rows[ref.name] = _write(folder / f"{ref.name}.csv", ref.rows(reference))
    starts = list(range(0, customers, part_size))
    identities = _IdentityMerger(folder / f"{IDENTITIES.name}.csv")
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures: dict[Future[dict[str, int]], int] = {
            pool.submit(write_part, folder, seed, start, min(start + part_size, customers)): start
            for start in starts
        }
        try:
            for future in as_completed(futures):
                start = futures[future]
                dataset.rows.update(future.result())
                identities.absorb(folder / f"{IDENTITIES.name}-{start:09d}.csv")
                if progress is not None:
                    progress(min(start + part_size, customers) - start)
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise
    dataset.rows[IDENTITIES.name] = identities.rows
    whole = {IDENTITIES.name, *(ref.name for ref in REFERENCE_FILES)}
    for spec in specs:
        if spec.name in whole:
            data: tuple[Path, ...] = (folder / f"{spec.name}.csv",)
        else:
            data = tuple(folder / f"{spec.name}-{start:09d}.csv" for start in starts)
        dataset.sources.append(
            ImportSource(spec.name, spec.entity, spec.label, (headers / f"{spec.name}.csv", *data))
        )
    return dataset
