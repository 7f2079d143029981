"""Completes `socket`: WASI preview 1 cannot open a socket or resolve a name; `socket.socket()`
and `getaddrinfo` say so with `OSError(ENOTSUP)` (a descriptor the host handed over still works).
"""

def complete(socket):
    import errno

    native_init = socket.socket.__init__
    native_new = socket.socket.__new__

    def __new__(cls, *args, **kwargs):
        # The VM's WASI socket type takes no constructor arguments (its __init__ does): without
        # this, socket.socket(AF_INET, SOCK_STREAM) is a TypeError, not the OSError below.
        return native_new(cls)

    def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
        # A descriptor the host handed over (e.g. a preopened listening socket) still works.
        if fileno is None:
            raise OSError(errno.ENOTSUP, "sockets are not available under WASI (wasm32-wasip1 cannot open one)")
        native_init(self, family, type, proto, fileno)

    def no_name_resolution(*args, **kwargs):
        raise OSError(errno.ENOTSUP, "name resolution is not available under WASI")

    def gethostname():
        """WASI has no host name: the machine is `localhost` to itself (packages call this at import)."""
        return "localhost"

    socket.gethostname = gethostname
    socket.socket.__new__ = staticmethod(__new__)
    socket.socket.__init__ = __init__
    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo"):
        if hasattr(socket, name):
            setattr(socket, name, no_name_resolution)
