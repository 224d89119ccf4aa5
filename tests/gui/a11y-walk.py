#!/usr/bin/python3
# a11y-walk.py — walks a window's accessibility tree over AT-SPI, as a screen
# reader sees it, and reports every control it could not announce.
#
# Copyright 2026 The PandaSync authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# usage: a11y-walk.py PID WHAT
#        a11y-walk.py --listen PID WHAT SECONDS
#
# Finds the application with process id PID on the accessibility bus, takes
# its showing windows and checks every showing object under them:
#   - a control (button, toggle, check box, link, slider, table, progress
#     bar, …) has a name or a label related to it;
#   - a field (entry, password, spin button, combo box) has a label related to
#     it (LABELLED_BY, which GTK derives from a label's mnemonic widget) or, if
#     no label stands beside it, a name of its own — a combo box's name must be
#     more than the item it shows;
#   - a label standing right before or above a field is related to that field.
# Prints one line per problem (prefixed with WHAT) on stdout and exits 1 if
# there was any, 0 if none, 2 if the application could not be found. With
# A11Y_WALK_DUMP set it also lists every control it checked, with its name.
#
# With --listen it prints "ready", then waits up to SECONDS for a
# notification (a polite announcement) from PID and prints its text.

import os
import sys
import time

import pyatspi

CONTROL_ROLES = {
    pyatspi.ROLE_PUSH_BUTTON: "button",
    pyatspi.ROLE_TOGGLE_BUTTON: "toggle button",
    pyatspi.ROLE_CHECK_BOX: "check box",
    pyatspi.ROLE_RADIO_BUTTON: "radio button",
    pyatspi.ROLE_LINK: "link",
    pyatspi.ROLE_SLIDER: "slider",
    pyatspi.ROLE_TABLE: "table",
    pyatspi.ROLE_TREE_TABLE: "tree table",
    pyatspi.ROLE_TREE: "tree",
    pyatspi.ROLE_MENU_ITEM: "menu item",
    pyatspi.ROLE_PROGRESS_BAR: "progress bar",
}
FIELD_ROLES = {
    pyatspi.ROLE_TEXT: "text field",
    pyatspi.ROLE_ENTRY: "text field",
    pyatspi.ROLE_PASSWORD_TEXT: "password field",
    pyatspi.ROLE_SPIN_BUTTON: "spin button",
    pyatspi.ROLE_COMBO_BOX: "combo box",
}


def find_app(pid, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        desktop = pyatspi.Registry.getDesktop(0)
        for app in desktop:
            try:
                if app is not None and app.get_process_id() == pid:
                    return app
            except Exception:
                pass
        time.sleep(0.2)
    return None


def states(acc):
    return acc.getState()


def showing(acc):
    s = states(acc)
    return s.contains(pyatspi.STATE_SHOWING) and s.contains(pyatspi.STATE_VISIBLE)


def targets(acc, relation_type):
    found = []
    for rel in acc.getRelationSet():
        if rel.getRelationType() == relation_type:
            for i in range(rel.getNTargets()):
                found.append(rel.getTarget(i))
    return found


def extents(acc):
    try:
        e = acc.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
        return (e.x, e.y, e.width, e.height)
    except NotImplementedError:
        return None


def label_text(acc):
    name = (acc.name or "").strip()
    if name:
        return name
    try:
        text = acc.queryText()
        return text.getText(0, text.characterCount).strip()
    except NotImplementedError:
        return ""


def describe(acc):
    path = []
    node = acc
    while node is not None and node.getRole() not in (pyatspi.ROLE_FRAME, pyatspi.ROLE_DIALOG,
                                                       pyatspi.ROLE_WINDOW):
        if node.getRole() in (pyatspi.ROLE_PANEL, pyatspi.ROLE_FILLER) and not node.name:
            node = node.parent
            continue
        path.append("%s%s" % (node.getRoleName(), " “%s”" % node.name if node.name else ""))
        node = node.parent
    return " < ".join(path[:4])


def combo_items(acc):
    """The texts of a combo box's items (what its name shows by default)."""
    items = set()
    stack = [acc]
    while stack:
        node = stack.pop()
        for child in node:
            if child is None:
                continue
            if child.getRole() in (pyatspi.ROLE_MENU_ITEM, pyatspi.ROLE_LIST_ITEM):
                items.add((child.name or "").strip())
            stack.append(child)
    return items


def collect(acc, out):
    for child in acc:
        if child is None or not showing(child):
            continue
        out.append(child)
        # A combo box's popup menu is not on screen until it opens.
        if child.getRole() == pyatspi.ROLE_COMBO_BOX:
            out.extend(c for c in child if c is not None and c.getRole() == pyatspi.ROLE_TEXT
                       and showing(c))
            continue
        collect(child, out)


def near_label(field, labels):
    """A label right before the field on its row, or right above it."""
    fe = extents(field)
    if fe is None:
        return None
    fx, fy, fw, fh = fe
    best = None
    best_gap = None
    for label, le in labels:
        lx, ly, lw, lh = le
        if lw <= 0 or lh <= 0:
            continue
        centre = fy + fh / 2
        gap = None
        if ly <= centre <= ly + lh and lx + lw <= fx + 2 and fx - (lx + lw) <= 48:
            gap = fx - (lx + lw)
        elif ly + lh <= fy + 2 and fy - (ly + lh) <= 12 and fx - 8 <= lx <= fx + fw / 2:
            gap = fy - (ly + lh)
        if gap is not None and (best_gap is None or gap < best_gap):
            best, best_gap = label, gap
    return best


def check_window(window, what):
    nodes = [window]
    collect(window, nodes)
    labels = [(n, extents(n)) for n in nodes if n.getRole() == pyatspi.ROLE_LABEL]
    labels = [(n, e) for n, e in labels if e is not None and label_text(n)]
    problems = []
    checked = 0
    dump = os.environ.get("A11Y_WALK_DUMP") is not None
    for node in nodes:
        role = node.getRole()
        name = (node.name or "").strip()
        if dump and (role in CONTROL_ROLES or role in FIELD_ROLES):
            print("# %s: %s “%s” labelled by %s" % (what, node.getRoleName(), name,
                                                   [label_text(t) for t in
                                                    targets(node, pyatspi.RELATION_LABELLED_BY)
                                                    if t is not None]))
        if role in CONTROL_ROLES:
            if role == pyatspi.ROLE_MENU_ITEM:
                continue
            checked += 1
            related = targets(node, pyatspi.RELATION_LABELLED_BY)
            if not name and not related:
                problems.append("%s: unnamed %s (%s)" % (what, CONTROL_ROLES[role], describe(node)))
            elif name == "(None)" and not related:
                # A file chooser button is named after its file: without its
                # label a screen reader says only "(None) button".
                problems.append("%s: file chooser button “(None)” without its label (%s)"
                                % (what, describe(node)))
            continue
        if role not in FIELD_ROLES:
            continue
        # The text part of an editable combo box is the combo box's field.
        if role == pyatspi.ROLE_TEXT and node.parent is not None \
                and node.parent.getRole() == pyatspi.ROLE_COMBO_BOX:
            continue
        checked += 1
        related = [t for t in targets(node, pyatspi.RELATION_LABELLED_BY) if t is not None]
        if role == pyatspi.ROLE_COMBO_BOX and name in combo_items(node):
            name = ""
        if related or name:
            continue
        label = near_label(node, labels)
        if label is not None:
            problems.append("%s: label “%s” is not related to its %s (%s); set its mnemonic widget"
                            % (what, label_text(label), FIELD_ROLES[role], describe(node)))
        else:
            problems.append("%s: unnamed %s without a label (%s)" % (what, FIELD_ROLES[role],
                                                                    describe(node)))
    return checked, problems


def listen(pid, what, seconds):
    """Prints what a screen reader would be told of a notification from the
    application: the text of the object that became showing with the
    notification role. Exits 0 after the first, 1 if none came in time."""
    heard = []

    def on_event(event):
        try:
            source = event.source
            if source.get_process_id() != pid or not event.detail1:
                return
            if source.getRole() in (pyatspi.ROLE_NOTIFICATION, pyatspi.ROLE_ALERT):
                heard.append(label_text(source))
                pyatspi.Registry.stop()
        except Exception:
            pass

    def on_timeout():
        pyatspi.Registry.stop()
        return False

    from gi.repository import GLib
    pyatspi.Registry.registerEventListener(on_event, "object:state-changed:showing")
    # Registered: the test may now make the application speak.
    print("ready", flush=True)
    GLib.timeout_add(int(seconds * 1000), on_timeout)
    pyatspi.Registry.start()
    for text in heard:
        print("%s: notification “%s”" % (what, text))
    if not heard:
        print("%s: no notification within %g s" % (what, seconds))
    return 0 if heard else 1


def main():
    if sys.argv[1] == "--listen":
        return listen(int(sys.argv[2]), sys.argv[3], float(sys.argv[4]))
    pid = int(sys.argv[1])
    what = sys.argv[2]
    app = find_app(pid)
    if app is None:
        print("%s: no application with pid %d on the accessibility bus" % (what, pid))
        return 2
    windows = [w for w in app if w is not None and showing(w)]
    if not windows:
        print("%s: the application shows no window on the accessibility bus" % what)
        return 2
    total = 0
    problems = []
    for window in windows:
        checked, found = check_window(window, what)
        total += checked
        problems.extend(found)
    for p in problems:
        print(p)
    print("# %s: %d controls and fields checked in %d window(s), %d problem(s)"
          % (what, total, len(windows), len(problems)))
    if total == 0:
        print("%s: found no control at all: the tree was not read" % what)
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
