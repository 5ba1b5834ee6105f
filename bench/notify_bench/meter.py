"""CPU time and peak memory of processes, read from /proc."""

from __future__ import annotations

import os
import time


def read_proc_status(pid: int) -> dict[str, str]:
    fields = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    return fields


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry))
    return found


def process_table(zombies: list[int] | None = None) -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, clock ticks of CPU) of every process; the pids of zombies (ended, not yet
    reaped by their parent) are added to `zombies` when given."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime + stime, and cutime + cstime: the CPU of children it has reaped (a PostgreSQL backend
        # that ended is then counted in the postmaster), so the sums over a tree are conserved.
        table[int(entry)] = (int(fields[1]), sum(int(v) for v in fields[11:15]))
        if zombies is not None and fields[0] == "Z":
            zombies.append(int(entry))
    return table


def tree_ticks(table: dict[int, tuple[int, int]], root: int) -> dict[int, int]:
    """Clock ticks of `root` and its descendants, by pid."""
    members, frontier = {root}, [root]
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in members:
                members.add(child)
                frontier.append(child)
    return {pid: table[pid][1] for pid in members if pid in table}


class CpuMeter:
    """CPU time that each of our services (a process and its children: nginx workers, FastCGI
    workers, PostgreSQL backends) and our own child processes (wrk, pgbench, the sweep) spend
    during one operation. Unlike throughput, it hardly depends on what else runs on the machine."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, roots: dict[str, int]):
        self.roots = roots

    def settled_table(self) -> dict[int, tuple[int, int]]:
        """The process table once the processes that just ended (a PostgreSQL backend whose client
        went away ends a moment after it) have been reaped, so their CPU is in their parent's."""
        time.sleep(0.05)
        deadline = time.monotonic() + 2
        while True:
            zombies: list[int] = []
            table = process_table(zombies)
            ours = set().union(*(tree_ticks(table, root) for root in self.roots.values()))
            if not ours.intersection(zombies) or time.monotonic() > deadline:
                return table
            time.sleep(0.02)

    def measure(self, operation):
        before_table, before_children = self.settled_table(), os.times()
        before = {name: tree_ticks(before_table, root) for name, root in self.roots.items()}
        result = operation()
        after_table, after_children = self.settled_table(), os.times()
        cpu = {}
        for name, root in self.roots.items():
            after = tree_ticks(after_table, root)
            ticks = 0
            for pid, t in after.items():
                ticks += t - before[name].get(pid, 0)
            # A process that ended meanwhile was reaped: its whole CPU is now in its parent's
            # (counted above), of which the part before the measurement must not count again.
            for pid, t in before[name].items():
                if pid not in after:
                    ticks -= t
            cpu[name] = ticks / self.TICK
        cpu["client"] = (
            after_children.children_user
            + after_children.children_system
            - before_children.children_user
            - before_children.children_system
        )
        return result, cpu
