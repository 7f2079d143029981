"""Completes `logging`: frozen, the package has an empty `__path__`, and `Handler.handleError`
reads `__path__[0]` (to leave logging's own frames out of the report), so an error inside a
handler raised IndexError instead of printing "--- Logging error ---". A path no directory has
stands in: submodules are still found frozen, and nothing is looked up there."""


def complete(logging):
    if not logging.__path__:
        logging.__path__.append(f"<frozen {logging.__name__}>")
