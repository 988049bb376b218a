"""Executes notebooks headless with the tslab kernel and exports them to HTML.

Usage: /usr/bin/python3 notebooks/run_notebooks.py [--jobs N] [--rerun] OUT_DIR [NOTEBOOK.ipynb ...]
Runs every notebook in notebooks/ when none is given, N at a time (default 1). Needs JUPYTER_PATH to contain the
project's kernelspec (data-scripts/setup-notebooks.sh writes it). Set WSOL_QUICK=1 for the quick
mode the notebooks read in their first cell (the kernel inherits the environment).

A notebook fails if the client reports a cell error OR any output is an error output; the
executed .ipynb and .html are written to OUT_DIR either way, so the failure can be inspected.
A notebook whose metadata has "wsol": {"expect_error": TEXT} passes only if it stops with an error
containing TEXT. A graded exercise notebook ("wsol": {"graded": "todo" | "solution" | "wrong"}) runs every
cell even after errors; it passes when each check cell (cell metadata wsol.check = "Exercise N") fails
with an error naming its exercise in the todo and wrong variants and succeeds in the solution variant,
and no other cell fails.
--rerun runs every code cell twice in a row, then all cells once more, in one kernel (what a
student does when re-running cells); the exercise notebooks whose checks must fail run once.
Besides NAME.ipynb and NAME.html, NAME.displays.json lists every output sent with a display id
(cell, display id, whether it replaced an earlier one, the data-step it carries), so a test can
count how often a live cell redrew itself.
Exit status: 0 when all passed, 1 otherwise.
"""
import json
import re
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter

HERE = os.path.dirname(os.path.abspath(__file__))
CELL_TIMEOUT_S = int(os.environ.get("WSOL_CELL_TIMEOUT", "1800"))


def write_atomic(path, text):
    tmp = "{}.{}.tmp".format(path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def failure_detail(nb, client_error):
    """The first error output, else the failing cell's stderr (tslab reports compile errors there)."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return "cell {}: {}: {}".format(index, out.get("ename"), out.get("evalue"))
    if client_error is not None:
        for index, cell in reversed(list(enumerate(nb.cells))):
            stderr = [o for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stderr"]
            if stderr:
                text = "".join(o.get("text", "") for o in stderr).strip().splitlines()
                return "cell {}: {}".format(index, " | ".join(text[:3]))
        return str(client_error).strip().splitlines()[-1] if str(client_error).strip() else repr(client_error)
    return None


def cell_error(cell):
    """The error text of an executed code cell (error output, else stderr that reports an error), or None."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return "{}: {}".format(out.get("ename"), out.get("evalue"))
    stderr = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stderr")
    return stderr.strip() if "rror" in stderr else None


def graded_detail(nb, variant):
    """None when every check behaves as the variant requires, else what went wrong."""
    problems = []
    checks = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        check = cell.get("metadata", {}).get("wsol", {}).get("check")
        error = cell_error(cell)
        if check is None:
            if error is not None:
                problems.append("cell {} failed: {}".format(index, error.splitlines()[0]))
            continue
        checks += 1
        if variant == "solution" and error is not None:
            problems.append("{} check fails on the solution: {}".format(check, error.splitlines()[0]))
        if variant != "solution" and (error is None or check not in error):
            problems.append("{} check does not fail on the {} version ({})".format(check, variant, "passes" if error is None else error.splitlines()[0]))
    expected = nb.metadata.get("wsol", {}).get("exercises")
    if expected is not None and checks != expected:
        problems.append("{} check cells, the notebook announces {}".format(checks, expected))
    return "; ".join(problems) if problems else None


class RecordingClient(NotebookClient):
    """Keeps a note of every output that carries a display id (live redraws)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.display_log = []

    def process_message(self, msg, cell, cell_index):
        content = msg.get("content", {})
        display_id = content.get("transient", {}).get("display_id")
        if display_id and msg["msg_type"] in ("display_data", "update_display_data"):
            html = content.get("data", {}).get("text/html", "")
            step = re.search(r'data-step="(\d+)"', html if isinstance(html, str) else "".join(html))
            self.display_log.append({"cell": cell_index, "display_id": display_id, "update": msg["msg_type"] == "update_display_data", "step": int(step.group(1)) if step else None})
        return super().process_message(msg, cell, cell_index)


def execute_rerun(client, nb):
    """Each code cell twice in a row, then every cell once more, in one kernel."""
    code = [(index, cell) for index, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    count = 0

    def execute(index, cell):
        nonlocal count
        count += 1
        client.execute_cell(cell, index, execution_count=count)

    with client.setup_kernel():
        for index, cell in code:
            execute(index, cell)
            execute(index, cell)
        for index, cell in code:
            execute(index, cell)


def execute_graded(client, nb):
    """Every cell, even after errors. tslab cancels what arrives within 200 ms of an error, so wait that out."""
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            client.execute_cell(cell, index)
            if cell_error(cell) is not None:
                time.sleep(0.4)


def run(path, out_dir, rerun=False):
    nb = nbformat.read(path, as_version=4)
    graded = nb.metadata.get("wsol", {}).get("graded")
    # Notebooks run with notebooks/ as their working directory, as in Jupyter.
    client = RecordingClient(nb, kernel_name="tslab", timeout=CELL_TIMEOUT_S, allow_errors=graded is not None, resources={"metadata": {"path": HERE}})
    client_error = None
    start = time.time()
    try:
        if rerun and graded in (None, "solution"):
            client.allow_errors = False
            execute_rerun(client, nb)
        elif graded is None:
            client.execute()
        else:
            execute_graded(client, nb)
    except CellExecutionError as err:
        client_error = err
    except Exception as err:  # a dead kernel or a cell timeout: report it, go on with the next notebook
        client_error = err
        nb.cells.append(nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output("error", ename=type(err).__name__, evalue=str(err), traceback=[])]))
    seconds = time.time() - start
    name = os.path.splitext(os.path.basename(path))[0]
    write_atomic(os.path.join(out_dir, name + ".ipynb"), nbformat.writes(nb))
    html, _ = HTMLExporter().from_notebook_node(nb)
    write_atomic(os.path.join(out_dir, name + ".html"), html)
    write_atomic(os.path.join(out_dir, name + ".displays.json"), json.dumps(client.display_log))
    detail = failure_detail(nb, client_error)
    if graded is not None and client_error is None:
        detail = graded_detail(nb, graded)
        if detail is None:
            print("ok   {} ({:.0f} s): every check {} as it should ({} version)".format(name, seconds, "passes" if graded == "solution" else "fails", graded), flush=True)
            return True
    expected = nb.metadata.get("wsol", {}).get("expect_error")
    if expected is not None:
        if detail is not None and expected in detail:
            print("ok   {} ({:.0f} s): stopped as expected at {}".format(name, seconds, detail), flush=True)
            return True
        detail = "expected an error containing {!r}, got {}".format(expected, detail or "none")
    if detail is not None:
        print("FAIL {} ({:.0f} s): {}".format(name, seconds, detail), flush=True)
        return False
    print("ok   {} ({:.0f} s)".format(name, seconds), flush=True)
    return True


def run_in_child(path, out_dir, rerun):
    # One process per notebook: nbclient's event loop is not meant to be shared across threads.
    return subprocess.run([sys.executable, os.path.abspath(__file__)] + (["--rerun"] if rerun else []) + [out_dir, path]).returncode == 0


def main():
    args = sys.argv[1:]
    jobs = 1
    if args[:1] == ["--jobs"]:
        if len(args) < 2 or not args[1].isdigit() or int(args[1]) < 1:
            sys.exit("run_notebooks: --jobs needs a positive integer")
        jobs, args = int(args[1]), args[2:]
    rerun = args[:1] == ["--rerun"]
    if rerun:
        args = args[1:]
    if not args:
        sys.exit(__doc__)
    out_dir = args[0]
    os.makedirs(out_dir, exist_ok=True)
    paths = args[1:] or sorted(os.path.join(HERE, f) for f in os.listdir(HERE) if f.endswith(".ipynb"))
    for p in paths:
        if not os.path.isfile(p):
            sys.exit("run_notebooks: no such notebook: {}".format(p))
    if jobs == 1:
        results = [run(p, out_dir, rerun) for p in paths]
    else:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(lambda p: run_in_child(p, out_dir, rerun), paths))
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
