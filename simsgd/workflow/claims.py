"""A study's judgement of each lecture claim: one status, the named conditions behind it, the numbers.

Statuses:
    supported     simulation agrees with an independent oracle (exact theory, or code written apart)
    refuted       the lecture's statement read literally is contradicted by the measurement; the
                  evidence says how, and what holds instead
    definitional  true by construction of the rule; shown by reading it off the compiled step
    reported      measured, no judgement possible (no oracle, or the claim is a matter of taste)

Every condition must be one a wrong simulator could fail: identities of the theory alone belong
in the tests. A study passes when every condition of every claim holds.
"""
from dataclasses import dataclass, field

STATUSES = ("supported", "refuted", "definitional", "reported")


@dataclass(frozen=True)
class Claim:
    """``status`` of one claim, ``checks`` (condition name -> held), and ``evidence``: one line with the numbers."""

    status: str
    evidence: str
    checks: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if self.status != "reported" and not self.checks:
            raise ValueError(f"a {self.status!r} claim needs at least one condition that can fail")

    @property
    def holds(self):
        return all(bool(v) for v in self.checks.values())

    def record(self):
        return {"status": self.status, "holds": self.holds, "evidence": self.evidence,
                "checks": {k: bool(v) for k, v in self.checks.items()}}


def table(index):
    """The README's claims table (Markdown) from the entries of ``results/index.json``, in claim order."""
    rows = []
    for entry in index:
        for cid, c in entry.get("claim_status", {}).items():
            rows.append((int(cid[1:]), cid, entry["name"], c))
    lines = ["| claim | status | study | evidence |", "|---|---|---|---|"]
    for _, cid, study, c in sorted(rows):
        status = c["status"] if c["holds"] else f"**{c['status']}: condition failed**"
        lines.append(f"| {cid} | {status} | `{study}` | {c['evidence'].replace('|', chr(92) + '|')} |")
    return "\n".join(lines) + "\n"
