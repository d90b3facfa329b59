"""The machine fields of a benchmark line written by a Python benchmark (bench_machine.h's twin)."""
import os


def machine():
    """host, CPU model, core count and the CPU's AVX-512 / AMX flags."""
    cpu, flags = "unknown", []
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name") and cpu == "unknown":
                cpu = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = [x for x in line.split(":", 1)[1].split() if x.startswith(("avx512", "amx"))]
    return {"host": os.uname().nodename, "cpu": cpu, "cores": os.cpu_count(), "cpu_flags": " ".join(sorted(flags))}
