#!/usr/bin/python3
"""Starts commands for a Node.js process (src/shared/spawn-helper.ts).

Node's `child_process.spawn` forks the whole Node.js process and waits for
the child's `exec` on the calling thread: 6 ms on an idle machine, 15-30 ms
with a busy morph, its one thread doing nothing else meanwhile. This
process is small, and starts commands with `vfork` and `exec` (subprocess,
Python 3.10 and later), so morph's thread only writes a request and reads
an answer.

Protocol on stdin and stdout: frames of a 4-byte big-endian length, a JSON
header of that length, then the bytes the header announces.
  request: {"id": N, "argv": [str, ...], "cwd": str or null,
            "env": {str: str}, "input": BYTES}          then BYTES of stdin
  kill:    {"kill": N, "signal": SIGNUM}                 (no bytes follow)
  answer:  {"id": N, "code": EXIT or null, "signal": SIGNUM or null,
            "stdout": BYTES, "stderr": BYTES}            then both outputs
  failure: {"id": N, "error": text, "errno": "ENOENT" or null}
  and, once, when the helper has started: {"ready": true}
A command is answered when it has exited and closed its stdout and stderr
(Node's 'close'). Commands run at once, each with a pipe for stdin (closed
after its input), stdout and stderr. End of input ends the helper: the
commands still running get SIGTERM (the Node.js process is gone, killed
or not, and nobody will read their outputs).
"""

import errno
import json
import os
import selectors
import signal
import struct
import subprocess
import sys

HEADER = struct.Struct(">I")
READ_SIZE = 65536


class Command:
    def __init__(self, request_id, process, stdin_data):
        self.id = request_id
        self.process = process
        self.stdin_data = memoryview(stdin_data)
        self.outputs = {"stdout": [], "stderr": []}
        self.open_outputs = 2


class Helper:
    def __init__(self):
        self.selector = selectors.DefaultSelector()
        self.commands = {}
        self.exited = []  # commands whose outputs are closed, waiting for their exit
        self.input = bytearray()
        self.output = sys.stdout.buffer
        self.stdin_fd = sys.stdin.fileno()
        os.set_blocking(self.stdin_fd, False)
        self.selector.register(self.stdin_fd, selectors.EVENT_READ, ("requests", None))
        # SIGCHLD wakes the selector: a command that closed its outputs and then exits is answered at once.
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_read, False)
        os.set_blocking(wake_write, False)
        signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.selector.register(wake_read, selectors.EVENT_READ, ("wake", None))
        # Ctrl-C reaches the whole process group: the Node.js process decides what stops.
        signal.signal(signal.SIGINT, lambda *_: None)
        self.send({"ready": True})

    def send(self, header, *payloads):
        data = json.dumps(header).encode()
        self.output.write(b"".join([HEADER.pack(len(data)), data, *payloads]))
        self.output.flush()

    def requests(self):
        chunk = os.read(self.stdin_fd, READ_SIZE)
        if not chunk:
            return False
        self.input += chunk
        while len(self.input) >= HEADER.size:
            (length,) = HEADER.unpack_from(self.input)
            if len(self.input) < HEADER.size + length:
                break
            header = json.loads(self.input[HEADER.size : HEADER.size + length])
            end = HEADER.size + length + header.get("input", 0)
            if len(self.input) < end:
                break
            data = bytes(self.input[HEADER.size + length : end])
            del self.input[:end]
            if "kill" in header:
                command = self.commands.get(header["kill"])
                if command and command.process.returncode is None:
                    command.process.send_signal(header["signal"])
            else:
                self.start(header, data)
        return True

    def start(self, request, data):
        try:
            process = subprocess.Popen(
                request["argv"],
                cwd=request.get("cwd"),
                env=request["env"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as err:
            name = errno.errorcode.get(err.errno) if err.errno else None
            self.send({"id": request["id"], "error": f"spawn {request['argv'][0]} {name or err}", "errno": name})
            return
        except (ValueError, TypeError) as err:
            self.send({"id": request["id"], "error": str(err), "errno": None})
            return
        command = Command(request["id"], process, data)
        self.commands[command.id] = command
        for name, stream in (("stdout", process.stdout), ("stderr", process.stderr)):
            os.set_blocking(stream.fileno(), False)
            self.selector.register(stream, selectors.EVENT_READ, (name, command))
        if command.stdin_data:
            os.set_blocking(process.stdin.fileno(), False)
            self.selector.register(process.stdin, selectors.EVENT_WRITE, ("stdin", command))
        else:
            process.stdin.close()

    def feed(self, command):
        stream = command.process.stdin
        try:
            written = os.write(stream.fileno(), command.stdin_data[:READ_SIZE])
            command.stdin_data = command.stdin_data[written:]
            if command.stdin_data:
                return
        except BlockingIOError:
            return
        except OSError:
            pass  # the command closed its stdin (EPIPE): the rest is not wanted
        self.selector.unregister(stream)
        stream.close()

    def read(self, name, command):
        stream = getattr(command.process, name)
        chunk = os.read(stream.fileno(), READ_SIZE)
        if chunk:
            command.outputs[name].append(chunk)
            return
        self.selector.unregister(stream)
        stream.close()
        command.open_outputs -= 1
        if command.open_outputs == 0:
            self.exited.append(command)

    def answer_exited(self):
        waiting = []
        for command in self.exited:
            if command.process.poll() is None:
                waiting.append(command)
                continue
            if command.process.stdin and not command.process.stdin.closed:
                self.selector.unregister(command.process.stdin)
                command.process.stdin.close()
            del self.commands[command.id]
            code = command.process.returncode
            stdout = b"".join(command.outputs["stdout"])
            stderr = b"".join(command.outputs["stderr"])
            header = {
                "id": command.id,
                "code": code if code >= 0 else None,
                "signal": -code if code < 0 else None,
                "stdout": len(stdout),
                "stderr": len(stderr),
            }
            self.send(header, stdout, stderr)
        self.exited = waiting

    def run(self):
        while True:
            for key, _ in self.selector.select():
                kind, command = key.data
                if kind == "requests":
                    if not self.requests():
                        return
                elif kind == "wake":
                    while True:
                        try:
                            if not os.read(key.fd, READ_SIZE):
                                break
                        except BlockingIOError:
                            break
                elif kind == "stdin":
                    self.feed(command)
                else:
                    self.read(kind, command)
            if self.exited:
                self.answer_exited()

    def stop(self):
        for command in self.commands.values():
            if command.process.returncode is None:
                try:
                    command.process.terminate()
                except OSError:
                    pass


def main():
    helper = Helper()
    try:
        helper.run()
    except BrokenPipeError:
        pass
    finally:
        helper.stop()


if __name__ == "__main__":
    main()
