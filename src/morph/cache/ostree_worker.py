#!/usr/bin/python3
"""Writes commits into one OSTree repository for morph, through libostree.

One `ostree commit` process costs ~35 ms even for a tiny tree (it opens the
repository, scans it, and runs one transaction per commit); a chunk makes up
to seven commits. This worker keeps the repository open and writes all the
commits of one request in a single transaction (about 2 ms each): see
docs/decisions.md, "OSTree writes go through a libostree worker".

Protocol: one JSON object a line on stdin, one answer a line on stdout.
  {"id": 1, "op": "commit", "commits": [{"dir", "ref", "subject",
   "metadata": {str: str}, "consume": bool}], "linkCheckoutSpeedup": bool}
      -> {"id": 1, "ok": true, "result": [checksum, ...]}
  {"id": 2, "op": "layer", "refs": [ref or checksum, ...]}
      -> {"id": 2, "ok": true, "result": checksum}   (an orphan commit,
         later trees replacing earlier files, directories merging)
  Any failure -> {"id": N, "ok": false, "error": "text"}; the worker goes on.
End of input ends the worker. Commits are orphans stamped 1991-08-25, so the
same tree always gives the same checksum.

Usage: ostree_worker.py REPO LOCKFILE. Every transaction holds an exclusive
flock on LOCKFILE, as every other morph write to REPO does (`flock LOCKFILE
ostree ...`), so that morph processes sharing a cache never write at once.
"""

import fcntl
import json
import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor

import gi

gi.require_version("OSTree", "1.0")
from gi.repository import Gio, GLib, OSTree  # noqa: E402

TIMESTAMP = 683078400  # 1991-08-25 00:00:00 UTC

# PyGObject makes its class and method wrappers on first use, and two threads
# making the same one at once get two different classes ("Expected
# OSTree.RepoCommitModifier, but got gi.repository.OSTree.RepoCommitModifier",
# or a class without its `new`). Everything the hashing threads touch is made
# here, once, before any thread starts.
OSTree.RepoCommitModifier.new  # noqa: B018
OSTree.MutableTree.new  # noqa: B018
OSTree.RepoCommitModifierFlags.CONSUME  # noqa: B018
Gio.File.new_for_path  # noqa: B018
OSTree.Repo.write_directory_to_mtree  # noqa: B018
OSTree.Repo.write_mtree  # noqa: B018


def open_repo(path):
    repo = OSTree.Repo.new(Gio.File.new_for_path(path))
    repo.open(None)
    # Artifacts can always be rebuilt: never fsync (as `--fsync=false`).
    repo.set_disable_fsync(True)
    return repo


class Repo:
    """The repository and the lock file every write holds."""

    def __init__(self, path, lock_path):
        self.ostree = open_repo(path)
        self.lock = open(lock_path, "a")


def in_transaction(repo, work):
    fcntl.flock(repo.lock, fcntl.LOCK_EX)
    try:
        repo.ostree.prepare_transaction(None)
        try:
            result = work()
            repo.ostree.commit_transaction(None)
            return result
        except BaseException:
            repo.ostree.abort_transaction(None)
            raise
    finally:
        fcntl.flock(repo.lock, fcntl.LOCK_UN)


def write_commit(repo, root, subject, metadata):
    variant = GLib.Variant("a{sv}", {k: GLib.Variant("s", v) for k, v in metadata.items()})
    _, checksum = repo.write_commit_with_time(None, subject, None, variant, root, TIMESTAMP, None)
    return checksum


def commit(locked, request):
    repo = locked.ostree

    def tree_of(spec):
        flags = OSTree.RepoCommitModifierFlags.NONE
        if spec.get("consume"):
            flags |= OSTree.RepoCommitModifierFlags.CONSUME
        modifier = OSTree.RepoCommitModifier.new(flags, None)
        mtree = OSTree.MutableTree.new()
        directory = Gio.File.new_for_path(spec["dir"])
        repo.write_directory_to_mtree(directory, mtree, modifier, None)
        _, root = repo.write_mtree(mtree, None)
        return root

    def work():
        if request.get("linkCheckoutSpeedup"):
            # Files hard-linked from this repository's objects are not re-read.
            repo.scan_hardlinks(None)
        specs = request["commits"]
        # The trees are hashed and stored side by side (libostree releases the
        # GIL and writes objects from several threads, as its pulls do); the
        # commits and refs are then written in order.
        threads = min(len(specs), os.cpu_count() or 1)
        if threads > 1:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                roots = list(pool.map(tree_of, specs))
        else:
            roots = [tree_of(spec) for spec in specs]
        checksums = []
        for spec, root in zip(specs, roots):
            checksum = write_commit(repo, root, spec["subject"], spec.get("metadata") or {})
            repo.transaction_set_ref(None, spec["ref"], checksum)
            checksums.append(checksum)
        return checksums

    return in_transaction(locked, work)


def layer(locked, request):
    repo = locked.ostree

    def work():
        mtree = OSTree.MutableTree.new()
        for rev in request["refs"]:
            _, root, _ = repo.read_commit(rev, None)
            repo.write_directory_to_mtree(root, mtree, None, None)
        _, root = repo.write_mtree(mtree, None)
        return write_commit(repo, root, "layers", {})

    return in_transaction(locked, work)


OPERATIONS = {"commit": commit, "layer": layer}


def main():
    # Ctrl-C reaches the whole process group: morph handles it and closes our
    # input, which ends us after the request in hand (no traceback on the terminal).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    repo = Repo(sys.argv[1], sys.argv[2])
    for line in sys.stdin:
        request = json.loads(line)
        answer = {"id": request.get("id")}
        try:
            answer["result"] = OPERATIONS[request["op"]](repo, request)
            answer["ok"] = True
        except GLib.Error as err:
            answer.update(ok=False, error=err.message)
        except (KeyError, TypeError, ValueError) as err:
            answer.update(ok=False, error=f"bad request: {err!r}")
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        # morph went away while we answered: nothing is waiting for the answer.
        sys.exit(1)
