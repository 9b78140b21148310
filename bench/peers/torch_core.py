"""PyTorch peer of bench/core.ts: the four core workloads in PyTorch eager mode, float64, one thread.

Driven by bench/torch.ts over stdin/stdout, one JSON object per line each way:

  {"cmd": "load", "workloads": {id: inputs, ...}}  -> {"torch": ..., "python": ..., "threads": 1}
  {"cmd": "check", "id": id}                       -> {"value", "forwardValue", "gradNorm"}
  {"cmd": "measure", "id": id, "case": "forward"|"gradient",
   "minSamples": n, "maxTime": s, "minTime": s}    -> {"samplesMs": [...], "count": n}
  {"cmd": "quit"}

A failed command answers {"error": message}. The inputs are the numbers bench/core.ts
generated (its workloads' `inputs`), so both sides compute the same function on the same values.

Timing mirrors benchmark.js: a timeit-style autorange picks how many calls make one timed
cycle last at least minTime (1, 2, 5, 10, 20, 50, ... calls); then cycles are timed with
time.perf_counter until there are at least minSamples of them and more than maxTime seconds
have passed. Each sample is one cycle's time divided by its number of calls. Python's garbage
collector stays on (V8's cannot be turned off either).
"""

import json
import math
import platform
import sys
import time

import torch

torch.set_num_threads(1)
torch.set_num_interop_threads(1)
F64 = torch.float64


def leaf(x):
    return torch.tensor(x, dtype=F64, requires_grad=True)


def const(x):
    return torch.tensor(x, dtype=F64)


# Each builder returns (params, loss_fn): loss_fn(*params) is the 0-dim loss tensor.


def scalar_chain(inp):
    ops = int(inp["ops"])

    def chain(x, w, b):
        for k in range(ops):
            r = k % 3
            x = torch.mul(x, w) if r == 0 else torch.add(x, b) if r == 1 else torch.tanh(x)
        return x

    return [leaf(inp["x0"]), leaf(inp["w"]), leaf(inp["b"])], chain


def tree_1000(inp):
    return [leaf(inp["t"])], lambda t: torch.sum(torch.tanh(torch.mul(t, t)))


def lincomb(inp):
    def f(c, m):
        l = torch.matmul(c, m)
        return torch.sum(torch.mul(l, l))

    return [leaf([inp["c"]]), leaf(inp["m"])], f


def mlp(inp):
    x = const([inp["x"]])
    y = const([inp["y"]])
    params = []
    for layer in inp["layers"]:
        params += [leaf(layer["W"]), leaf(layer["b"])]

    def net(*p):
        h = x
        for l in range(len(p) // 2):
            h = torch.tanh(torch.add(torch.matmul(h, p[2 * l]), p[2 * l + 1]))
        e = torch.sub(h, y)
        return torch.sum(torch.mul(e, e))

    return params, net


BUILDERS = {"scalar-chain": scalar_chain, "tree-1000": tree_1000, "lincomb-50x20": lincomb, "mlp-3x32": mlp}


class Workload:
    def __init__(self, params, loss):
        self.params = params
        self.loss = loss

    def forward(self):
        """The loss without recording a graph, read back as a Python float."""
        with torch.no_grad():
            return self.loss(*self.params).item()

    def gradient(self):
        """The loss and the gradient with respect to every parameter (a backward pass)."""
        out = self.loss(*self.params)
        grads = torch.autograd.grad(out, self.params)
        return out.item(), grads


def autorange(fn, min_time):
    """timeit.Timer.autorange's sequence of call counts, stopping at min_time instead of 0.2 s."""
    i = 1
    while True:
        for j in (1, 2, 5):
            number = i * j
            if timed(fn, number) >= min_time:
                return number
        i *= 10


def timed(fn, number):
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return time.perf_counter() - t0


def measure(fn, min_samples, max_time, min_time):
    number = autorange(fn, min_time)
    samples = []
    elapsed = 0.0
    while len(samples) < min_samples or elapsed <= max_time:
        t = timed(fn, number)
        elapsed += t
        samples.append(t / number * 1e3)
    return {"samplesMs": samples, "count": number}


def main():
    workloads = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            msg = json.loads(line)
            cmd = msg.get("cmd")
            if cmd == "quit":
                break
            if cmd == "load":
                for wid, inp in msg["workloads"].items():
                    if wid not in BUILDERS:
                        raise ValueError(f"unknown workload {wid!r} (known: {', '.join(BUILDERS)})")
                    workloads[wid] = Workload(*BUILDERS[wid](inp))
                reply = {"torch": torch.__version__, "python": platform.python_version(), "threads": torch.get_num_threads()}
            elif cmd in ("check", "measure"):
                wid = msg.get("id")
                if wid not in workloads:
                    raise ValueError(f"workload {wid!r} was not loaded")
                w = workloads[wid]
                if cmd == "check":
                    value, grads = w.gradient()
                    grad_norm = math.sqrt(sum(float(torch.sum(g * g)) for g in grads))
                    reply = {"value": value, "forwardValue": w.forward(), "gradNorm": grad_norm}
                else:
                    fn = {"forward": w.forward, "gradient": w.gradient}.get(msg.get("case"))
                    if fn is None:
                        raise ValueError(f"case must be forward or gradient, got {msg.get('case')!r}")
                    reply = measure(fn, int(msg["minSamples"]), float(msg["maxTime"]), float(msg["minTime"]))
            else:
                raise ValueError(f"unknown command {cmd!r}")
        except Exception as e:  # reported to the driver, which stops the run
            reply = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
