"""Runs peer commands for a Node bench so that the Node process itself never forks between its timed engine runs.

Every fork of a process marks all its writable pages copy-on-write; the next write to each page faults, even after the
child has exec'd and exited. On this machine an ONNX Runtime run of 1,000 × 10,000 modern Hopfield retrieval took
0.26 s warm and 0.6–0.7 s right after the Node process had spawned any child (even `true`), the difference being those
page faults on ORT's arena. The bench spawns this helper once before its timed runs and sends it the commands.

Protocol: one JSON object per line on stdin, {"argv": [...], "env": {...}}; one JSON object per line on stdout,
{"status": int, "stdout": str, "stderr": str}. Ends at EOF.
"""
import json
import subprocess
import sys

for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    r = subprocess.run(req["argv"], env=req["env"], capture_output=True, text=True)
    sys.stdout.write(json.dumps({"status": r.returncode, "stdout": r.stdout, "stderr": r.stderr}) + "\n")
    sys.stdout.flush()
