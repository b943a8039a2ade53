"""``python -m simulators NAME|all [options]``: run one channel simulator, or all five.

``NAME --port P`` serves one system; ``all --base-port P`` serves webshop, stores, oms, contact
and mobile on P..P+4 in one process. Without a port, the conventional base 9101 is used (the
gateway's ``channel_base_port``). ``--webhook-url BASE`` makes the stores and the OMS post
signed events to the gateway's ``BASE/<channel>`` as they are used, under the key in
``PARCOURS_SIMULATORS_WEBHOOK_SECRET`` (``--webhook-secret`` overrides it for dev use; a key on
the command line is visible to every local user in ``ps``, so ``parcours up`` never puts it
there). The command line and that variable are read here and nowhere else.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from simulators import SYSTEMS
from simulators._config import SimulatorConfig
from simulators._runner import run

DEFAULT_BASE_PORT = 9101
MAX_PORT = 65535
WEBHOOK_SECRET_VARIABLE = "PARCOURS_SIMULATORS_WEBHOOK_SECRET"  # noqa: S105 - a name


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simulators",
        description="Run channel-system simulators on 127.0.0.1 until Ctrl-C or SIGTERM.",
    )
    parser.add_argument("system", choices=[*SYSTEMS, "all"], help="which system, or all five")
    parser.add_argument("--port", type=int, help="port of a single system")
    parser.add_argument("--base-port", type=int, help="first port for `all` (then +1 per system)")
    parser.add_argument("--seed", type=int, default=42, help="dataset seed (same as the graph's)")
    parser.add_argument("--customers", type=int, default=2000, help="customers in the dataset")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="base latency per request")
    parser.add_argument("--jitter-ms", type=float, default=0.0, help="uniform extra latency")
    parser.add_argument("--rng-seed", type=int, default=0, help="seed of the jitter and faults")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (0.0.0.0 only inside a container)"
    )
    parser.add_argument(
        "--webhook-url",
        help="base URL of the gateway's webhooks (e.g. http://127.0.0.1:8080/webhooks): stores "
        "post receipts to <base>/store, the OMS orders to <base>/web",
    )
    parser.add_argument(
        "--webhook-secret",
        default=os.environ.get(WEBHOOK_SECRET_VARIABLE) or None,
        help="HMAC key of those posts; {channel} stands for the channel (default: "
        f"${WEBHOOK_SECRET_VARIABLE}, else the gateway's dev keys, dev-webhook-secret-{{channel}}; "
        "prefer the variable: a command line is visible to every local user)",
    )
    return parser


def _assignments(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> list[tuple[str, int]]:
    names = list(SYSTEMS)
    if args.system == "all":
        if args.port is not None:
            parser.error("use --base-port with `all` (systems listen on base, base+1, ...)")
        base = DEFAULT_BASE_PORT if args.base_port is None else args.base_port
        assignments = [(name, base + offset) for offset, name in enumerate(names)]
    else:
        if args.base_port is not None:
            parser.error("use --port with a single system")
        port = DEFAULT_BASE_PORT + names.index(args.system) if args.port is None else args.port
        assignments = [(args.system, port)]
    if any(not 1 <= port <= MAX_PORT for _, port in assignments):
        parser.error(f"ports must be from 1 to {MAX_PORT}")
    return assignments


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    assignments = _assignments(parser, args)
    try:
        config = SimulatorConfig(
            seed=args.seed,
            customers=args.customers,
            latency_ms=args.latency_ms,
            jitter_ms=args.jitter_ms,
            rng_seed=args.rng_seed,
            webhook_url=args.webhook_url,
            webhook_secret=args.webhook_secret,
        )
    except ValueError as exc:
        parser.error(str(exc))
    return run(assignments, config, host=args.host)


if __name__ == "__main__":
    sys.exit(main())
