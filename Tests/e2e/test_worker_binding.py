"""notify-fcgi binds every library symbol in the master (LD_BIND_NOW), so its workers inherit the
bindings instead of paging in the libraries' symbol tables on their first requests: the master
restarts its own executable once with LD_BIND_NOW=1, keeping its pid, its name and its arguments."""

from __future__ import annotations

from pathlib import Path

from notify_e2e import children, env


def environment(pid: int) -> dict[str, str]:
    entries = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(entry.decode().partition("=")[::2] for entry in entries if entry)


def test_master_and_workers_bind_eagerly_under_their_own_name() -> None:
    master = int(env("NOTIFY_FCGI_MASTER_PID"))
    workers = children(master)
    assert workers, "the notify-fcgi master has no workers"
    for pid in [master, *workers]:
        assert environment(pid).get("LD_BIND_NOW") == "1", pid
        assert Path(f"/proc/{pid}/comm").read_text().strip() == "notify-fcgi", pid
        assert Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].endswith(b"/notify-fcgi"), pid
