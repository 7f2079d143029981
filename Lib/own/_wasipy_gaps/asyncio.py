"""Completes `asyncio.selector_events`: the selector event loop wakes itself through a socketpair
"self-pipe", which WASI preview 1 does not have. A single-threaded WASI program never needs that
wake-up, so the loop runs without one."""


def complete(module):
    loop = module.BaseSelectorEventLoop
    loop._ssock = loop._csock = None
    loop._make_self_pipe = lambda self: None
    loop._close_self_pipe = lambda self: None
