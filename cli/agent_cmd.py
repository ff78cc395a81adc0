"""``facteur agent [--once]``: the sync agent, as a service or for one drain."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from cli.context import Context
from locales import N_, Translator

if TYPE_CHECKING:
    from agent.loop import Agent


def register(commands: argparse._SubParsersAction, tr: Translator) -> None:
    agent = commands.add_parser("agent", help=tr.gettext(N_("run the sync agent (deliver the outbox)")))
    agent.add_argument("--once", action="store_true", help=tr.gettext(N_("send what is due, then exit")))
    agent.set_defaults(handler=run_agent)


def run_agent(args: argparse.Namespace, ctx: Context) -> int:
    from agent.service import build_agent, configure_logging, reloaded, run_agent

    ctx.database()
    configure_logging()
    agent = build_agent(ctx.config)
    agent.config_file = ctx.config.source

    def reload() -> Agent:
        ctx.config, fresh = reloaded(ctx.config)
        return fresh

    online = run_agent(agent, once=args.once, watch=ctx.config.locales.watch and not args.once, reload=reload)
    if args.once and not online:
        ctx.err.write(
            ctx.tr.format(
                N_("facteur: offline: {reason}"),
                reason=ctx.tr.gettext(N_("no mail server could be reached; the messages wait in the outbox")),
            )
            + "\n"
        )
        return 1
    return 0
