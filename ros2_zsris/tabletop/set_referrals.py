"""Referrals to several objects at once, with exact truth: sets, numbers, lists and counts.

Generated from a scene's objects only (no random numbers drawn, so adding them changed no
scene), each with every object it names, and only where the truth is clear to a person:

* ``plural`` "the cups", "all the cups", "every cup": every object of a kind (two or more);
* ``colour`` "all the red things": every object of a colour, whatever its kind (two or more);
* ``both`` "both cups": the two objects of a kind (exactly two);
* ``numbered`` "the two cups on the left", "the two biggest cups": the first n of a kind (three
  or more) by position or size, with a clear gap (a tenth of the image width; 40% in pixel area
  and 30% in metric size) between the n-th and the next;
* ``list`` "pick up the red cup and the ball" and ``list3`` "pick up X, Y and Z": single-object
  referrals (scenes.referrals_for) of different objects, in the order named;
* ``count`` "how many cups are there": every object of a kind, also one or none.

Each carries ``meaning`` (the key a held-out phrasing file gives templates for, bench/heldout/
README.md) and ``slots`` (kind, kinds, colour, n, X/Y/Z) to fill those templates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SET_FORMS = ("plural", "colour", "both", "numbered", "list", "list3", "count")
NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}
LIST_TYPES = ("kind", "colour", "size", "position", "distance", "ordinal", "relation")
POSITION_GAP, AREA_RATIO, METRIC_RATIO = 0.1, 0.4, 0.3


@dataclass
class SetReferral:
    expression: str
    targets: tuple[int, ...]  # indices into Scene.objects; in the order named for lists, else left to right
    form: str  # one of SET_FORMS
    meaning: str  # the held-out file's key: plural, all, every, colour, both, n_left, ..., list2, list3, count
    slots: dict[str, str] = field(default_factory=dict)

    @property
    def ordered(self) -> bool:
        """Lists are scored in the order named; sets as sets."""
        return self.form in ("list", "list3")

    @property
    def counts(self) -> bool:
        return self.form == "count"


def set_referrals_for(objects, referrals, kinds: tuple[str, ...]) -> list[SetReferral]:
    """Every set referral of the scene (module docstring); ``referrals``: its single-object ones;
    counts are asked for every kind present and the first absent one."""
    out: list[SetReferral] = []
    width = objects[0].mask.shape[1] if objects else 1
    present = [k for k in kinds if any(o.kind == k for o in objects)]
    absent = [k for k in kinds if k not in present][:1]  # "how many cones are there": none
    for kind in present + absent:
        members = sorted((i for i, o in enumerate(objects) if o.kind == kind), key=lambda i: objects[i].centre[0])
        slots = {"kind": kind, "kinds": f"{kind}s"}
        out.append(SetReferral(f"how many {kind}s are there", tuple(members), "count", "count", slots))
        if len(members) >= 2:
            out += [SetReferral(f"the {kind}s", tuple(members), "plural", "plural", slots),
                    SetReferral(f"all the {kind}s", tuple(members), "plural", "all", slots),
                    SetReferral(f"every {kind}", tuple(members), "plural", "every", slots)]
        if len(members) == 2:
            out.append(SetReferral(f"both {kind}s", tuple(members), "both", "both", slots))
        if len(members) >= 3:
            out += _numbered(objects, members, slots, width)
    out += _colour_sets(objects)
    return out + _lists(referrals)


def _numbered(objects, members: list[int], slots: dict[str, str], width: int) -> list[SetReferral]:
    out = []
    for n in range(2, len(members)):
        words = {**slots, "n": NUMBER_WORDS.get(n, str(n))}
        xs = [objects[i].centre[0] for i in members]  # members are sorted left to right
        if xs[n] - xs[n - 1] > POSITION_GAP * width:
            out.append(SetReferral(f"the {words['n']} {slots['kinds']} on the left", tuple(members[:n]), "numbered",
                                   "n_left", words))
        if xs[-n] - xs[-n - 1] > POSITION_GAP * width:
            out.append(SetReferral(f"the {words['n']} {slots['kinds']} on the right", tuple(members[-n:]),
                                   "numbered", "n_right", words))
        by_area = sorted(members, key=lambda i: -objects[i].area)
        by_metric = sorted(members, key=lambda i: -objects[i].size_m)
        for word, order, flip in (("biggest", by_area, False), ("smallest", by_area[::-1], True)):
            metric = by_metric[::-1] if flip else by_metric
            if set(order[:n]) != set(metric[:n]):
                continue
            area = [objects[i].area for i in order]
            size = [objects[i].size_m ** 2 for i in metric]
            clear_area = max(area[n - 1], area[n]) > min(area[n - 1], area[n]) * (1 + AREA_RATIO)
            clear_size = max(size[n - 1], size[n]) > min(size[n - 1], size[n]) * (1 + METRIC_RATIO)
            if clear_area and clear_size:
                chosen = tuple(sorted(order[:n], key=lambda i: objects[i].centre[0]))
                out.append(SetReferral(f"the {words['n']} {word} {slots['kinds']}", chosen, "numbered",
                                       f"n_{word}", words))
    return out


def _colour_sets(objects) -> list[SetReferral]:
    out = []
    for colour in sorted({o.colour for o in objects}):
        members = sorted((i for i, o in enumerate(objects) if o.colour == colour), key=lambda i: objects[i].centre[0])
        if len(members) >= 2:
            out.append(SetReferral(f"all the {colour} things", tuple(members), "colour", "colour", {"colour": colour}))
    return out


def _lists(referrals) -> list[SetReferral]:
    """Up to two two-item lists and one three-item list per scene, of different objects, taking
    each object's referrals in turn so that every type comes up."""
    by_target: dict[int, list] = {}
    for referral in referrals:
        if referral.kind in LIST_TYPES and " and " not in referral.expression:
            by_target.setdefault(referral.target, []).append(referral)
    targets = sorted(by_target)
    items = [by_target[t][k % len(by_target[t])] for k, t in enumerate(targets)]
    out = []
    for k in range(0, min(len(items) - 1, 4), 2):
        x, y = items[k], items[k + 1]
        out.append(SetReferral(f"pick up {x.expression} and {y.expression}", (x.target, y.target), "list", "list2",
                               {"X": x.expression, "Y": y.expression}))
    if len(items) >= 3:
        x, y, z = items[-3:]
        out.append(SetReferral(f"pick up {x.expression}, {y.expression} and {z.expression}",
                               (x.target, y.target, z.target), "list3", "list3",
                               {"X": x.expression, "Y": y.expression, "Z": z.expression}))
    return out
