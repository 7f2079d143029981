"""Completes `multiprocessing.process`: the package imports (boto3 imports it through s3transfer),
but WASI has no processes, so starting one raises RuntimeError that says so, as starting a thread
does, instead of failing deep inside the fork machinery on a missing `os` constant."""


def complete(process):
    def start(self):
        raise RuntimeError("can't start a new process: processes are not available under WASI (wasm32-wasip1)")

    process.BaseProcess.start = start
