"""Forked children and their pipes: whole messages both ways, EOF when a child dies, exits described."""
from __future__ import annotations

import os
import threading

import pytest
from konfigctl.render.processes import describe_exit, fork, reap


def _echo(channel):
    while True:
        try:
            msg = channel.recv()
        except EOFError:
            return
        if msg == "crash":
            raise RuntimeError("boom")
        if msg == "pid":
            channel.send(os.getpid())
            continue
        channel.send(msg)


def test_messages_larger_than_a_pipe_buffer_arrive_whole():
    pid, ch = fork(_echo)
    try:
        big = {"data": "x" * (3 << 20), "n": list(range(1000))}
        # the child answers while the parent still writes: send from a thread
        t = threading.Thread(target=ch.send, args=(big,))
        t.start()
        assert ch.recv() == big
        t.join()
        ch.send("pid")
        assert ch.ready(10) and ch.recv() == pid != os.getpid()
    finally:
        ch.close()
    assert describe_exit(reap(pid)) == "exit code 0"  # EOF on its pipe ends the child


def test_an_unpicklable_message_sends_its_fallback():
    pid, ch = fork(_echo)
    try:
        ch.send(lambda: 1, fallback=lambda: "fallback")
        assert ch.recv() == "fallback"
        with pytest.raises(Exception):
            ch.send(lambda: 1)
    finally:
        ch.close()
        reap(pid)


def test_a_child_that_fails_exits_70_and_the_parent_sees_eof():
    pid, ch = fork(_echo)
    ch.send("crash")
    with pytest.raises(EOFError):
        ch.recv()
    ch.close()
    assert describe_exit(reap(pid)) == "exit code 70"


def test_a_killed_child_is_described_as_such():
    pid, ch = fork(_echo)
    status = reap(pid, kill=True)
    ch.close()
    assert describe_exit(status) == "killed by SIGKILL: out of memory?"
    assert reap(pid) is None and describe_exit(None) == "no exit status"
